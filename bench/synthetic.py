"""A synthetic Chinese news corpus for benchmarks: words drawn by jieba's dictionary frequencies
(so the vocabulary and postings lengths follow real Chinese), cut into clauses and sentences, with
dates and counts, and one sentence in five taken from the bundled articles."""

from __future__ import annotations

import random
from pathlib import Path

import jieba
import numpy as np

from common import repo_config
from newsbot.corpus import Corpus
from newsbot.corpus.article import Article
from newsbot.text.sentences import split_sentences

PASSAGE_CHARS = 220
PASSAGES_PER_ARTICLE = 4
_CLAUSE_END = "，，，、；"


def _dictionary() -> tuple[list[str], np.ndarray]:
    words, freqs = [], []
    path = Path(jieba.__file__).parent / "dict.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        word, freq, *_ = line.split(" ")
        words.append(word)
        freqs.append(int(freq))
    weights = np.array(freqs, dtype=np.float64)
    return words, weights / weights.sum()


class Generator:
    """Deterministic text of news-like shape."""

    def __init__(self, seed: int = 1) -> None:
        self.words, self.p = _dictionary()
        self.rng = np.random.default_rng(seed)
        self.pyrng = random.Random(seed)
        config = repo_config()
        self.real = [s for a in Corpus(config.corpus_dir).articles for s in split_sentences(a.body)]
        self._pool: list[str] = []

    def _word(self) -> str:
        if not self._pool:
            self._pool = [self.words[i] for i in self.rng.choice(len(self.words), 65536, p=self.p)]
        return self._pool.pop()

    def sentence(self) -> str:
        if self.real and self.pyrng.random() < 0.2:
            return self.pyrng.choice(self.real)
        clauses = []
        for _ in range(self.pyrng.randint(1, 3)):
            words = [self._word() for _ in range(self.pyrng.randint(4, 10))]
            if self.pyrng.random() < 0.15:
                words.insert(0, f"{self.pyrng.randint(1, 12)}月{self.pyrng.randint(1, 28)}日")
            if self.pyrng.random() < 0.15:
                words.append(f"{self.pyrng.randint(2, 500)}{self.pyrng.choice('名家个项')}")
            clauses.append("".join(words))
        return self.pyrng.choice(_CLAUSE_END).join(clauses) + "。"

    def paragraph(self) -> str:
        text = ""
        while len(text) < PASSAGE_CHARS:
            text += self.sentence()
        return text

    def article(self, n: int) -> Article:
        title = "".join(self._word() for _ in range(self.pyrng.randint(4, 8)))
        body = "\n\n".join(self.paragraph() for _ in range(PASSAGES_PER_ARTICLE))
        month, day = self.pyrng.randint(1, 12), self.pyrng.randint(1, 28)
        return Article(id=f"s{n}", title=title, body=body, date=f"2020-{month:02d}-{day:02d}")


def synthetic_articles(n_passages: int, seed: int = 1) -> list[Article]:
    """Articles of about ``n_passages`` passages of ~220 characters."""
    generator = Generator(seed)
    return [generator.article(n) for n in range(max(1, n_passages // PASSAGES_PER_ARTICLE))]


def questions(articles: list[Article], n: int, seed: int = 2) -> list[str]:
    """Questions made of a few consecutive words of a random sentence, as readers ask."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        sentence = rng.choice(split_sentences(rng.choice(articles).body))
        words = [w for w in jieba.lcut(sentence) if len(w) > 1]
        start = rng.randrange(max(1, len(words) - 4))
        out.append("".join(words[start : start + rng.randint(2, 4)]) + "是什么？")
    return out
