"""Compiled top-k scoring (numba), loaded in the background by long-running processes:
importing numba and loading its cached machine code takes about half a second, which neither a
restart nor the first question should wait for. Until it is ready, or where numba is missing,
the numpy path scores."""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

TopK = Callable[..., tuple[np.ndarray, np.ndarray]]

_lock = threading.Lock()
_kernel: TopK | None = None
_started = False
_failed = False


def top_k() -> TopK | None:
    """The compiled ``top_k`` once loaded (``start`` or ``load``), else None."""
    return _kernel


def start(cache: Path | None = None) -> None:
    """Load the kernel in a background thread (once): for a process that will answer many
    questions (a one-shot question is answered sooner without it). ``cache``: as in ``load``."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
    threading.Thread(target=load, args=(cache,), name="numba-load", daemon=True).start()


def load(cache: Path | None = None) -> TopK | None:
    """Load and compile the kernel now (the background thread's work; tests call it to fix
    which path scores). None where numba cannot be imported or compile. ``cache``: the folder
    for numba's machine code unless ``NUMBA_CACHE_DIR`` names one (a service's installed
    package is often read-only, its home hidden)."""
    global _kernel, _failed, _started
    with _lock:
        _started = True
        if _kernel is not None or _failed:
            return _kernel
        if cache is not None and "numba" not in sys.modules:
            os.environ.setdefault("NUMBA_CACHE_DIR", str(cache))
        try:
            module: Any = importlib.import_module("newsbot.index._compiled")
            kernel = module.top_k
            _warm(kernel)
        except Exception as exc:  # no numba here, or it cannot compile: numpy scores
            log.warning(
                "compiled scoring unavailable (%s: %s); numpy scores", type(exc).__name__, exc
            )
            _failed = True
            return None
        _kernel = kernel
        return kernel


def _warm(kernel: TopK) -> None:
    """Run the kernel once (its signatures are compiled, or read from numba's cache, on import)."""
    kernel(
        np.array([0], np.int32),
        np.array([0, 2], np.int64),
        np.array([0, 1], np.int32),
        np.array([1, 2], np.uint8),
        np.array([0], np.int32),
        np.array([1.0]),
        np.ones(2),
        1.5,
        np.ones(2, np.bool_),
        False,
        np.zeros(2),
        np.empty(2, np.int32),
        1,
    )


def disable() -> TopK | None:
    """Stop using the kernel (tests of the numpy path); what was in use, for ``restore``."""
    global _kernel
    with _lock:
        was, _kernel = _kernel, None
        return was


def restore(kernel: TopK | None) -> None:
    """Use ``kernel`` again (after ``disable``)."""
    global _kernel
    with _lock:
        _kernel = kernel
