"""Where the benchmarks find the repository's files and configuration (they run from a checkout)."""

from __future__ import annotations

from pathlib import Path

from newsbot.config import Config, load_config

REPO_ROOT = Path(__file__).resolve().parents[1]
BUNDLED_CORPUS = REPO_ROOT / "corpus"
QA_DIR = REPO_ROOT / "bench" / "data" / "cmrc2018"
OWN_QA = REPO_ROOT / "tests" / "data" / "guancheng_qa.jsonl"


def repo_config() -> Config:
    """The repository's configuration, without the environment."""
    return load_config(REPO_ROOT / "config" / "newsbot.yaml", env={})


def rss_mb(pid: int | str = "self") -> float:
    """A process's resident memory in MB (Linux), NaN where /proc does not say."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
