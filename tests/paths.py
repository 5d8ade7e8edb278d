"""Where the tests find the repository's files (the tests run from a checkout only)."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
BUNDLED_CORPUS = REPO_ROOT / "corpus"
REPO_CONFIG = REPO_ROOT / "config" / "newsbot.yaml"
DATA = REPO_ROOT / "tests" / "data"
