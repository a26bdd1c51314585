"""The controls: fields (types, bounds, URL parsing), settings and run specs, session values and
the URL, widgets, and the practical guide's presets."""
