"""The PySide6 app over the annotation core: it only turns session events into Qt updates and
user actions into session calls."""
