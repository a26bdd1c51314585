"""The Streamlit side of Optimiser Lab, in four rooms: ``state`` (controls, URL, settings),
``compute`` (the cached, bounded engine calls in worker processes), ``views`` (frames and charts)
and ``frame`` (the page registry and the frame every page opens)."""
