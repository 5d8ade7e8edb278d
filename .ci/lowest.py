"""Print a pip constraints file pinning every dependency (and dev tool) of pyproject.toml to its
lowest allowed version, for `make test-lowest`."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())[
    "project"
]
requirements = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
for requirement in requirements:
    match = re.match(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*(?:>=|==)\s*([^,\s]+)", requirement)
    if match is None:
        sys.exit(f"no lower bound in {requirement!r}")
    print(f"{match.group(1)}=={match.group(2)}")
