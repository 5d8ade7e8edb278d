"""Compiled top-k scoring and postings lookups (numba), loaded in the background by long-running
processes: importing numba and loading its cached machine code takes about half a second (a
first compilation on a machine, about 2 s), which neither a restart nor the first question should
wait for. Until they are ready, or where numba is missing, the numpy path scores."""

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
Holding = Callable[..., None]

_lock = threading.Lock()
_kernels: Any = None  # the loaded ``_compiled`` module
_started = False
_failed = False


def top_k() -> TopK | None:
    """The compiled ``top_k`` once loaded (``start`` or ``load``), else None."""
    kernels = _kernels
    return None if kernels is None else kernels.top_k


def holding() -> Holding | None:
    """The compiled ``holding`` once loaded, else None."""
    kernels = _kernels
    return None if kernels is None else kernels.holding


def start(cache: Path | None = None) -> None:
    """Load the kernels in a background thread (once): for a process that will answer many
    questions (a one-shot question is answered sooner without them). ``cache``: as in ``load``."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
    threading.Thread(target=load, args=(cache,), name="numba-load", daemon=True).start()


def load(cache: Path | None = None) -> Any:
    """Load and compile the kernels now (the background thread's work; tests call it to fix
    which path scores); what ``disable`` and ``restore`` take. None where numba cannot be
    imported or compile. ``cache``: the folder for numba's machine code unless
    ``NUMBA_CACHE_DIR`` names one (a service's installed package is often read-only, its home
    hidden)."""
    global _kernels, _failed, _started
    with _lock:
        _started = True
        if _kernels is not None or _failed:
            return _kernels
        if cache is not None and "numba" not in sys.modules:
            os.environ.setdefault("NUMBA_CACHE_DIR", str(cache))
        try:
            kernels: Any = importlib.import_module("newsbot.index._compiled")
            _warm(kernels)
        except Exception as exc:  # no numba here, or it cannot compile: numpy scores
            log.warning(
                "compiled scoring unavailable (%s: %s); numpy scores", type(exc).__name__, exc
            )
            _failed = True
            return None
        _kernels = kernels
        return kernels


def _warm(kernels: Any) -> None:
    """Run each kernel once (their signatures are compiled, or read from numba's cache, on
    import)."""
    term_ids, offsets = np.array([0], np.int32), np.array([0, 2], np.int32)
    docs, query = np.array([0, 1], np.uint16), np.array([0], np.int32)
    kernels.top_k(
        term_ids,
        offsets,
        docs,
        0,
        np.array([0x2F], np.uint8),
        np.array([0], np.int32),
        np.array([40], np.uint32),
        query,
        np.array([1.0]),
        np.ones(2),
        1.5,
        np.ones(2, np.bool_),
        False,
        np.zeros(2),
        np.empty(2, np.int32),
        1,
    )
    targets = np.array([0, 1], np.int32)
    kernels.holding(term_ids, offsets, docs, 0, 2, query, targets, np.zeros((1, 2), np.bool_))


def disable() -> Any:
    """Stop using the kernels (tests of the numpy path); what was in use, for ``restore``."""
    global _kernels
    with _lock:
        was, _kernels = _kernels, None
        return was


def restore(kernels: Any) -> None:
    """Use ``kernels`` again (after ``disable``)."""
    global _kernels
    with _lock:
        _kernels = kernels
