"""Doctests of the pages: a page that draws with matplotlib (the ``plot`` extra) is skipped,
with the reason, where matplotlib is not installed, and a page that fits a Dask frame where
dask is not; every other page always runs."""

import importlib.util

import pytest


def pytest_collection_modifyitems(config, items):
    if importlib.util.find_spec("dask") is None:
        for item in items:
            path = getattr(item, "path", None)
            if path is not None and path.suffix == ".md" and \
                    "import dask" in path.read_text():
                item.add_marker(pytest.mark.skip(reason="fits a Dask frame: needs the dask "
                                                        "extra (pip install 'mlefit[dask]')"))
    if importlib.util.find_spec("matplotlib") is not None:
        return
    for item in items:
        path = getattr(item, "path", None)
        if path is not None and path.suffix == ".md" and "import matplotlib" in path.read_text():
            item.add_marker(pytest.mark.skip(reason="draws plots: needs the plot extra "
                                                    "(pip install 'mlefit[plot]')"))
