"""Fit the confidence model on labelled questions and choose ``min_confidence`` from the curve.

The labelled sets (each question answered with refusals off, its measurements kept):
  CMRC kept      the trial questions over their paragraphs; label: the answer holds the gold
  CMRC removed   the same questions with their own paragraph removed; label 0 (unanswerable)
  off-topic      the trial questions over the bundled corpus; label 0
  own answerable residents' questions about the bundled corpus with their facts
  own unanswerable residents' questions the bundled corpus cannot answer; label 0

Usage: python bench/calibrate.py [--write]   (``make calibrate``; ``make eval`` prints the curve)
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common import OWN_QA, QA_DIR, REPO_ROOT, repo_config
from newsbot.config import Config
from newsbot.corpus.importers import parse_import
from newsbot.engine import Engine, params_for, responder_for, tokenizer_for
from newsbot.evaluate import QAItem, holds_gold, load_qa
from newsbot.index.search import SearchIndex
from newsbot.responder import Responder
from newsbot.responder.calibration import FEATURES, Calibration, save_calibration

OWN_DIR = REPO_ROOT / "bench" / "data" / "guancheng"
MODEL = REPO_ROOT / "src" / "newsbot" / "resources" / "calibration.yaml"
THRESHOLDS = tuple(round(0.05 * k, 2) for k in range(1, 20))
FOLDS = 5
L2 = 1.0
# The share of unanswerable questions the chosen threshold must refuse.
REFUSED_TARGET = 0.92


@dataclass(frozen=True)
class Labelled:
    """One question of a labelled set: its measurements (None: refused whatever the threshold),
    whether the unrefused answer holds the fact, and the group it is held out with."""

    dataset: str
    features: tuple[float, ...] | None
    label: bool
    group: str
    answer: str = ""
    short_answer: str | None = None
    golds: tuple[str, ...] = ()


def _drafts(
    responder: Responder, dataset: str, items: list[QAItem], answerable: bool
) -> list[Labelled]:
    """The labelled rows of ``items`` asked of ``responder``."""
    out = []
    for item in items:
        draft = responder.draft(item.question)
        features = tuple(draft.features[n] for n in FEATURES) if draft.features else None
        label = answerable and holds_gold(draft.answer.answer, item.answers)
        group = f"{dataset}:{item.context_id or item.id}"
        answer = draft.answer
        out.append(
            Labelled(
                dataset, features, label, group, answer.answer, answer.short_answer, item.answers
            )
        )
    return out


def collect(config: Config, qa_dir: Path = QA_DIR) -> list[Labelled]:
    """Every labelled set, measured with the current responder."""
    tokenizer = tokenizer_for(config)
    contexts = qa_dir / "cmrc2018_trial_contexts.jsonl"
    items = load_qa(qa_dir / "cmrc2018_trial_questions.jsonl")
    articles = parse_import(contexts.name, contexts.read_bytes()).articles
    cmrc = responder_for(config, SearchIndex(articles, tokenizer, params_for(config)))
    rows = _drafts(cmrc, "CMRC kept", items, True)
    by_context: dict[str, list[QAItem]] = {}
    for item in items:
        by_context.setdefault(item.context_id or "", []).append(item)
    for context, asked in by_context.items():
        held_out = responder_for(config, cmrc.index.updated(removed=[context]))
        rows += _drafts(held_out, "CMRC removed", asked, False)
    bundled = Engine(config, tokenizer).responder
    rows += _drafts(bundled, "off-topic", items, False)
    own = load_qa(OWN_QA) + load_qa(OWN_DIR / "answerable.jsonl")
    rows += _drafts(bundled, "own answerable", own, True)
    rows += _drafts(bundled, "own unanswerable", load_qa(OWN_DIR / "unanswerable.jsonl"), False)
    return rows


def fit(rows: list[Labelled]) -> Calibration:
    """L2-regularised logistic regression by Newton's method on the rows with measurements,
    each labelled set weighing the same in all (the bundled corpus's own questions are few, but
    they are the kind the bot is asked)."""
    usable = [r for r in rows if r.features is not None]
    x = np.array([r.features for r in usable], dtype=float)
    y = np.array([r.label for r in usable], dtype=float)
    sizes = {d: sum(r.dataset == d for r in usable) for d in {r.dataset for r in usable}}
    weight = np.array([len(usable) / len(sizes) / sizes[r.dataset] for r in usable])
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
    w = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], L2)
    penalty[0] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-z @ w))
        gradient = z.T @ (weight * (p - y)) + penalty * w
        hessian = (z.T * (weight * p * (1 - p))) @ z + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    weights = w[1:] / scale
    return Calibration(tuple(float(v) for v in weights), float(w[0] - weights @ mean))


def scores(model: Calibration, rows: list[Labelled]) -> list[float]:
    """Each row's confidence under ``model`` (0 for a row refused whatever the threshold)."""
    return [
        0.0
        if r.features is None
        else model.probability(dict(zip(FEATURES, r.features, strict=True)))
        for r in rows
    ]


def cross_validated(rows: list[Labelled]) -> list[float]:
    """Each row's confidence from a model fitted without its group's fold (a paragraph's
    questions are held out together)."""
    groups = sorted({r.group for r in rows})
    fold_of = {g: k % FOLDS for k, g in enumerate(np.random.default_rng(7).permutation(groups))}
    out = [0.0] * len(rows)
    for fold in range(FOLDS):
        model = fit([r for r in rows if fold_of[r.group] != fold])
        for k, r in enumerate(rows):
            if fold_of[r.group] == fold:
                out[k] = scores(model, [r])[0]
    return out


@dataclass(frozen=True)
class Point:
    """The curve at one threshold: refused share of each unanswerable set, answerable holding
    the fact, and the precision of everything answered."""

    threshold: float
    refused: dict[str, float]
    kept_holding: float
    own_holding: float
    precision: float


def curve(rows: list[Labelled], confidences: list[float]) -> list[Point]:
    points = []
    for t in THRESHOLDS:
        answered = [c >= t for c in confidences]

        def share(dataset: str, want: str, answered: list[bool] = answered) -> float:
            picked = [(a, r) for a, r in zip(answered, rows, strict=True) if r.dataset == dataset]
            if want == "refused":
                return sum(not a for a, _ in picked) / len(picked)
            return sum(a and r.label for a, r in picked) / len(picked)

        said = [r for a, r in zip(answered, rows, strict=True) if a]
        points.append(
            Point(
                t,
                {d: share(d, "refused") for d in ("CMRC removed", "off-topic", "own unanswerable")},
                share("CMRC kept", "holding"),
                share("own answerable", "holding"),
                sum(r.label for r in said) / len(said) if said else 1.0,
            )
        )
    return points


def choose(points: list[Point]) -> Point:
    """The lowest threshold at which both unanswerable sets of the corpus's own kind (CMRC
    paragraph removed, own unanswerable) are refused ``REFUSED_TARGET`` of the time on average:
    refusing is the first duty, and past it every step loses good answers."""
    for p in points:
        if (p.refused["CMRC removed"] + p.refused["own unanswerable"]) / 2 >= REFUSED_TARGET:
            return p
    return points[-1]


def table(points: list[Point], configured: float) -> list[str]:
    lines = [
        "| threshold | CMRC removed refused | off-topic refused | own unanswerable refused "
        "| CMRC kept holding fact | own answerable holding fact | precision of answered |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in points:
        mark = " (configured)" if abs(p.threshold - configured) < 1e-9 else ""
        refused = " | ".join(f"{v:.3f}" for v in p.refused.values())
        lines.append(
            f"| {p.threshold:.2f}{mark} | {refused} | {p.kept_holding:.3f} | "
            f"{p.own_holding:.3f} | {p.precision:.3f} |"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="save the model fitted on all rows")
    args = parser.parse_args()
    config = repo_config()
    rows = collect(config)
    print(f"{len(rows)} labelled questions; 5-fold cross-validated curve:\n")
    points = curve(rows, cross_validated(rows))
    print("\n".join(table(points, config.min_confidence)))
    chosen = choose(points)
    print(f"\nlowest threshold meeting the targets: {chosen.threshold:.2f}")
    if args.write:
        model = fit(rows)
        header = (
            "Fitted by bench/calibrate.py on CMRC 2018 trial (kept / own paragraph removed /\n"
            "off-topic) and the own questions in bench/data/guancheng; features in\n"
            "newsbot.responder.calibration.FEATURES. Refit: make calibrate."
        )
        save_calibration(MODEL, model, header)
        print(f"wrote {MODEL.relative_to(REPO_ROOT)}")
        print(json.dumps(dict(zip(FEATURES, model.weights, strict=True)), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
