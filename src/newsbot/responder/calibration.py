"""Confidence as a probability that the answer holds the fact: a logistic model over what the
responder measured of its answer, fitted on labelled questions by ``bench/calibrate.py``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from newsbot.errors import ConfigError

# The measurements, in the order the model file lists its weights.
FEATURES = (
    "coverage",  # share of the question's weight the chosen passage holds
    "missing_rare",  # the rarest question word the passage lacks, relative to the rarest
    "quote_coverage",  # share of it the quoted answer holds
    "fit",  # how well the quoted sentence fits the question (words, characters, pairs, type)
    "strength",  # the passage's BM25 score per unit of the question's idf
    "margin",  # how far the chosen article leads the next one
    "typed",  # the question expects a type (person, number, date...) and the quote holds one
    "untyped",  # it expects one and the quote holds none
    "constraints",  # specific constraints (numbers, names, dates...) the article meets
    "terms",  # how many words the question searches for (log)
    "demoted",  # the chosen article is not the best-ranked one (that one missed a constraint)
    "counted",  # the quote holds a number of what the question counts (「64名先进个人」)
    "uncounted",  # the question counts something named and the quote holds no number of it
)


@dataclass(frozen=True)
class Calibration:
    """``sigmoid(bias + weights · features)``."""

    weights: tuple[float, ...]
    bias: float

    def probability(self, features: dict[str, float]) -> float:
        """The modelled chance that the answer measured by ``features`` holds the fact."""
        pairs = zip(self.weights, FEATURES, strict=True)
        z = self.bias + math.fsum(w * features[name] for w, name in pairs)
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


@lru_cache(maxsize=8)
def load_calibration(path: Path) -> Calibration:
    """The model saved at ``path`` (``bias`` and a weight per feature name)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        weights = tuple(float(data["weights"][name]) for name in FEATURES)
        return Calibration(weights, float(data["bias"]))
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError):
        raise ConfigError(f"置信度校准文件 {path} 缺失或格式不对") from None


def save_calibration(path: Path, model: Calibration, header: str) -> None:
    """Write the model as YAML with a comment saying how it was fitted."""
    body: dict[str, object] = {"bias": round(model.bias, 6)}
    body["weights"] = {name: round(w, 6) for w, name in zip(model.weights, FEATURES, strict=True)}
    text = "".join(f"# {line}\n" for line in header.splitlines())
    path.write_text(text + yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
