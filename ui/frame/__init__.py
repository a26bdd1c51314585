"""The page frame: the registry of pages (one row each) and the frame every page script opens
(page config, URL state, sidebar, notices, navigation, explanations, the share panel)."""
