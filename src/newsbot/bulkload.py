"""Loading many small records at once without the cyclic garbage collector's repeated scans."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause automatic garbage collection while a load creates millions of objects (each
    collection rescans them all, so a large load grew faster than its size). They form no
    cycles, so after the load they are frozen out of later collections too (the first full
    collection after a 1M-passage load took ~0.5 s), and collection resumes."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.enable()
