"""The progress bar of long inference loops (profile intervals, bootstrap refits).

A bar is shown (tqdm, the optional extra ``progress``) when asked for with ``show=True``,
or by default (``show=None``) from ``threshold`` items on; never with ``show=False``.
Asked for explicitly without tqdm installed, it is an ImportError naming the extra; by
default, no tqdm means no bar.
"""

from __future__ import annotations

__all__ = ["progress_bar"]


def progress_bar(items, total: int, show: bool | None, *, threshold: int, desc: str,
                 unit: str = "it"):
    """``items``, wrapped in a tqdm bar when one is shown (see the module docstring)."""
    if show is False or (show is None and total < threshold):
        return items
    try:
        from tqdm.auto import tqdm
    except ImportError as exc:
        if show:
            raise ImportError("progress=True needs tqdm. Fix: pip install "
                              "'mlefit[progress]'.") from exc
        return items
    return tqdm(items, total=total, desc=desc, unit=unit)
