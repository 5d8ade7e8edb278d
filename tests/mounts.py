"""Real degraded filesystems for the tests of degraded storage: a read-only bind mount and a
tiny tmpfs (mounting needs root; without it a read-only folder is a folder the user cannot
write, and a tiny disk cannot be had, so those tests skip)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _mount(*args: str) -> None:
    result = subprocess.run(["mount", *args], capture_output=True, check=False)
    if result.returncode != 0:
        pytest.skip(f"cannot mount here: {result.stderr.decode(errors='replace').strip()}")


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


@contextmanager
def read_only(folder: Path) -> Iterator[Path]:
    """``folder`` seen read-only: a read-only bind mount as root, else the folder with its write
    permission taken away."""
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            yield folder
        finally:
            folder.chmod(0o700)
        return
    view = folder.with_name(folder.name + "-ro")
    view.mkdir()
    _mount("--bind", str(folder), str(view))
    try:
        _mount("-o", "remount,ro,bind", str(view))
        yield view
    finally:
        _umount(view)


@contextmanager
def tiny_disk(folder: Path, size: str = "64k") -> Iterator[Path]:
    """An empty tmpfs of ``size`` mounted on ``folder`` (root only)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder))
    try:
        yield folder
    finally:
        _umount(folder)
