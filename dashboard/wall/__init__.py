"""The wall screen (大屏): data.py gathers what the wall shows (from the domain, one pass per
refresh), panels.py draws it; pages/wall.py is the page and its callbacks."""
