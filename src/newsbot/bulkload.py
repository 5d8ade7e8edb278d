"""Loading many small records at once without the cyclic garbage collector's repeated scans."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause automatic garbage collection while a load creates millions of objects (each
    collection rescans them all, so a large load grew faster than its size); they form no
    cycles, and collection resumes after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
