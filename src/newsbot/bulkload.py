"""Loading many small records at once without the cyclic garbage collector's repeated scans,
and handing the memory a large load freed back to the system."""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache


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


@cache
def _malloc_trim() -> ctypes._CFuncPtr | None:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


def release_free_memory() -> bool:
    """Hand the heap pages a large load has freed back to the operating system: glibc keeps
    them for reuse otherwise (~130 MB after importing 100,000 passages). False where the C
    library cannot."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
