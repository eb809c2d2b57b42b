"""mlefit's built-in families, one module each, each loaded through its own entry point.

Core never imports this package: the families reach the registry the same way a
third-party plugin's do.
"""
