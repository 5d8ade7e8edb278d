"""Scale benchmark: import, index, restart and ask at 10k and 100k passages (1M with --million),
beside plain ``rank_bm25.BM25Okapi.get_scores`` measured in the same run. Prints one table.

Usage: python bench/run.py [--sizes 10000 100000] [--million] [--questions 300]
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import rank_bm25

from common import repo_config
from newsbot.corpus.article import Article
from newsbot.engine import Engine
from newsbot.index import bulk, compiled
from newsbot.index.bm25 import BM25Okapi, Vocabulary
from newsbot.index.bulk import workers
from newsbot.responder import analyse
from newsbot.responder.responder import CANDIDATES
from synthetic import questions, synthetic_articles

IMPORT_FILE_ARTICLES = 10_000
# Articles re-tokenised to measure the tokeniser alone (all of them at 1M would take minutes).
TOKENISE_SAMPLE = 30_000
WARM_UP = 300
# Articles pushed one at a time, each followed by a question it answers (the median is kept).
PUSHED = (
    (
        "管城区举办非遗文化节",
        "6月1日，管城区举办非遗文化节，展出120件作品。",
        "非遗文化节展出了多少件作品？",
    ),
    (
        "金水区图书馆延长开放",
        "7月3日起，金水区图书馆每晚开放到21点。",
        "金水区图书馆每晚开放到几点？",
    ),
    (
        "二七区新建口袋公园",
        "二七区今年新建口袋公园18个，绿地面积增加4公顷。",
        "二七区今年新建了多少个口袋公园？",
    ),
    (
        "中原区举行消防演练",
        "中原区消防救援大队在棉纺路社区组织消防演练，300余名居民参加。",
        "多少居民参加了消防演练？",
    ),
    (
        "惠济区开通夜间公交",
        "惠济区开通夜间公交线路Y2路，首班车22点发车。",
        "Y2路首班车几点发车？",
    ),
)
WARM_UP_SEED, SEARCH_SEED = 3, 4


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident (or, with VmHWM, peak) memory in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def timed(fn: Callable[..., object], *args: object) -> tuple[float, object]:
    """Milliseconds one call took, and its result."""
    started = time.perf_counter()
    result = fn(*args)
    return (time.perf_counter() - started) * 1000, result


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def cold_start(corpus: Path, data: Path, question: str) -> tuple[float, float]:
    """Seconds from process start to the first answer, and that process's peak RSS in MB."""
    code = (  # peak RSS from VmHWM: ru_maxrss would count the pages shared with this parent
        "import sys, time; t = time.perf_counter();"
        "from newsbot.cli import main; rc = main(sys.argv[1:]);"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1];"
        "print(time.perf_counter() - t, hwm, file=sys.stderr)"
    )
    args = ["--corpus", str(corpus), "--data-dir", str(data), "ask", "--json", question]
    env = {**os.environ, "NEWSBOT_CONFIG": ""}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, env=env, check=True
    )
    wall = time.perf_counter() - started
    assert json.loads(done.stdout)["question"] == question
    _, maxrss = done.stderr.decode().split()[-2:]
    return wall, int(maxrss) / 1024


def run_size(n_passages: int, n_questions: int, work: Path) -> dict[str, float]:
    """Every figure for one corpus size."""
    row: dict[str, float] = {}
    articles = synthetic_articles(n_passages)
    chars = sum(len(a.body) + len(a.title) for a in articles)
    sources = []
    for n in range(0, len(articles), IMPORT_FILE_ARTICLES):  # files under the 50 MB import limit
        sources.append(work / f"import-{n}.jsonl")
        with sources[-1].open("w", encoding="utf-8") as out:
            for a in articles[n : n + IMPORT_FILE_ARTICLES]:
                row = {"id": a.id, "title": a.title, "date": a.date, "text": a.body}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    del articles
    corpus, data = work / "corpus", work / "data"
    config = dataclasses.replace(repo_config(), corpus_dir=corpus, data_dir=data)

    gc.collect()
    base_rss = rss_mb()
    started = time.perf_counter()
    engine = Engine(config)
    for source in sources:
        engine.import_file(source)
    engine.save()
    row["import_s"] = time.perf_counter() - started
    row["chars"] = chars
    row["chars_per_s"] = chars / row["import_s"]
    index = engine.index
    row["passages"] = len(index)
    row["rss_mb"] = rss_mb() - base_rss

    tokens = index.bm25.documents()  # the indexed tokens, for the build and the baseline
    documents = [index.bm25.vocab.encode(t) for t in tokens]
    row["build_s"], _ = timed(
        BM25Okapi(index.bm25.vocab, (), BM25Okapi.empty().stats).add, documents
    )
    row["build_s"] /= 1000
    tracemalloc.start()  # numpy reports its arrays to tracemalloc
    built = BM25Okapi(index.bm25.vocab, (), BM25Okapi.empty().stats).add(documents)
    row["build_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    row["index_mb"] = index_mb(built)
    del documents, built
    sample = list(index.articles.values())[:TOKENISE_SAMPLE]
    sample_chars = sum(len(a.body) + len(a.title) for a in sample)
    took, _ = timed(bulk.tokenise, sample, engine.tokenizer, engine.params, Vocabulary())
    row["tokenise_chars_per_s"] = sample_chars / took * 1000
    row["disk_mb"] = folder_mb(config.state_dir / "index")

    stored = list(index.articles.values())
    engine.warm_up()  # as the bot does at start
    # The kernel's first compilation (a first start on a machine; restarts read numba's cache)
    # would hold the interpreter while the questions below are timed: timed once it is done.
    if len(index) >= config.compiled_min_passages:
        compiled.load(engine.state_dir / "compiled")
    for q in questions(stored, WARM_UP, seed=WARM_UP_SEED):
        engine.ask(q)  # a running bot has answered other questions before
    # Each timed question is new to the engine: ``ask`` on one set, retrieval on another (the
    # terms ``ask`` searches: asking words dropped; and, for comparison with earlier runs, every
    # token of the question).
    asked = questions(stored, n_questions)
    searched = questions(stored, n_questions, seed=SEARCH_SEED)
    queries = [list(analyse(q, engine.tokenizer).terms) for q in searched]
    every_token = [engine.tokenizer.tokens(q) for q in searched]
    asks = [timed(engine.ask, q)[0] for q in asked]
    retrieval = [timed(index.search, q, CANDIDATES)[0] for q in queries]
    retrieval_all = [timed(index.search, q, CANDIDATES)[0] for q in every_token]
    row["retrieval_p50"], row["retrieval_p99"] = pct(retrieval, 50), pct(retrieval, 99)
    row["retrieval_all_p50"] = pct(retrieval_all, 50)
    row["ask_p50"], row["ask_p99"] = pct(asks, 50), pct(asks, 99)
    row["found"] = sum(engine.ask(q).found for q in asked[:100]) / min(100, len(asked))

    pushes = []
    for n, (title, body, question) in enumerate(PUSHED):
        started = time.perf_counter()
        engine.add([Article(id=f"bench-push-{n}", title=title, body=body)])
        answer = engine.ask(question)
        pushes.append((time.perf_counter() - started) * 1000)
        assert answer.found and answer.sources[0].id == f"bench-push-{n}"
    row["push_ms"] = statistics.median(pushes)
    engine.save()

    row["cold_s"], row["cold_rss_mb"] = cold_start(corpus, data, asked[0])

    # The baseline: rank_bm25 over the same tokens, in the same process.
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    baseline = rank_bm25.BM25Okapi(tokens)
    row["base_build_s"] = time.perf_counter() - started
    row["base_rss_mb"] = rss_mb() - before
    sample = queries[: max(20, n_questions // (10 if n_passages > 50_000 else 1))]
    base = [timed(baseline.get_scores, q)[0] for q in sample]
    row["base_p50"], row["base_p99"] = pct(base, 50), pct(base, 99)
    del baseline, tokens, engine, index
    gc.collect()
    return row


def index_mb(index: BM25Okapi) -> float:
    """The arrays of a BM25 index (postings and collection statistics), in MB."""
    arrays = [a for s in index.segments for a in s.arrays().values()]
    stats = index.stats
    arrays += [stats.doc_freq, stats.doc_len, stats.alive]
    return sum(a.nbytes for a in arrays) / 1e6


def table(rows: list[dict[str, float]]) -> str:
    head = (
        "| passages | import s | import chars/s | tokenise chars/s (all cores) | index build s "
        "| index build peak MB | index arrays MB | index on disk MB | cold start s "
        "| RSS MB | ask p50 ms | ask p99 ms | retrieval p50 ms | retrieval p99 ms "
        "| retrieval p50 ms, every token "
        "| push → answer ms "
        "| rank_bm25 p50 ms | rank_bm25 p99 ms | rank_bm25 build s | rank_bm25 RSS MB "
        "| retrieval speed-up | ask speed-up |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(
            f"| {r['passages']:,.0f} | {r['import_s']:.1f} | {r['chars_per_s'] / 1e6:.2f}M "
            f"| {r['tokenise_chars_per_s'] / 1e6:.2f}M "
            f"| {r['build_s']:.1f} | {r['build_peak_mb']:.0f} | {r['index_mb']:.0f} "
            f"| {r['disk_mb']:.0f} | {r['cold_s']:.2f} "
            f"| {r['rss_mb']:.0f} (cold {r['cold_rss_mb']:.0f}) | {r['ask_p50']:.2f} "
            f"| {r['ask_p99']:.2f} | {r['retrieval_p50']:.2f} | {r['retrieval_p99']:.2f} "
            f"| {r['retrieval_all_p50']:.2f} "
            f"| {r['push_ms']:.0f} | {r['base_p50']:.1f} | {r['base_p99']:.1f} "
            f"| {r['base_build_s']:.1f} | {r['base_rss_mb']:.0f} "
            f"| {r['base_p50'] / r['retrieval_p50']:.0f}× | {r['base_p50'] / r['ask_p50']:.0f}× |"
        )
    return "\n".join(lines)


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        int(line.split()[1]) / 1024 / 1024
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return f"{cpu}, {workers()} cores usable, {mem:.0f} GB RAM, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--million", action="store_true", help="also 1,000,000 passages")
    parser.add_argument("--questions", type=int, default=300)
    args = parser.parse_args()
    sizes = [*args.sizes, *([1_000_000] if args.million else [])]
    rows = []
    for size in sizes:
        work = Path(tempfile.mkdtemp(prefix=f"newsbot-bench-{size}-"))
        try:
            rows.append(run_size(size, args.questions, work))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print(f"done: {size:,} passages", file=sys.stderr)
    print(machine())
    found = statistics.mean(r["found"] for r in rows)
    print(f"questions answered (found): {found:.0%}")
    print(table(rows))


if __name__ == "__main__":
    main()
