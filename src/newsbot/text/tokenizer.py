"""The one tokenizer for index and query: normalise, keep numbers whole, jieba the rest."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from newsbot.errors import ConfigError
from newsbot.text.normalize import normalize, normalize_once

if TYPE_CHECKING:
    import jieba

# Terms paired with the ways each can be written in normalised text (``Tokenizer.forms``).
Forms = tuple[tuple[str, str], ...]

TAG_CACHE = 8192
KEPT_CACHE = 1_000_000
# Bump when a change here changes the tokens, so that saved indexes are rebuilt.
TOKENS_VERSION = 3

# Measure words a number is written with (64名, 第四届, 25号): one list for tokens and answers.
# The characters Chinese numerals are written with (「二十五」, 「二〇二〇」).
CN_NUMERALS = "零〇一二三四五六七八九十两百千万亿"
# A year written in Chinese numerals (「二〇二〇年」).
CN_YEAR = "[〇零一二三四五六七八九十]{2,4}年"
MEASURE_WORDS = (
    "年|月|日|号|时|点|分钟|分|秒|名|家|个|人|位|次|项|所|条|件|元|万元|亿元|万|亿|千|百|岁|天|"
    "周|届|期|批|户|辆|座|栋|米|公里|千米|平方米|平方公里|亩|吨|倍|场|台|套|篇|本|部|种|间|层|%|"
    "幅|张|只|头|棵|株|册|首|块|片|支|根|艘|架|枚|份|处|起|例|门|盏|副|双|轮|组|匹|把|幢|斤|克"
)
# Dates such as 2020年5月15日 or 5月15日 first, then a number with an optional measure word.
# The lookahead lets the regex engine skip to the next digit (splitting text 5x faster).
NUMBER = re.compile(
    r"(?=\d)(?:(?:\d{2,4}年)?\d{1,2}月\d{1,2}[日号]|\d{2,4}年\d{1,2}月|"
    rf"\d+(?:[.,]\d+)*(?:{MEASURE_WORDS})?)"
)
# Splits text into the pieces between number expressions (even places) and the numbers (odd).
_NUMBER_PIECES = re.compile(f"({NUMBER.pattern})")
# Stands for a number expression while the text around them is cut in one call: normalised
# text holds none (``normalize`` turns control characters into spaces), and jieba and jieba-rs
# emit it as a token of its own, never part of a word.
_HOLE = "\x00"
# jieba cuts each run of these characters on its own (its re_han_default); other word characters
# one by one. jieba-rs splits runs holding Latin letters, digits or joiners such as 「-」
# differently, so those runs, and other non-Chinese word characters, go to jieba itself; on the
# rest the two give the same tokens (measured in bench/agreement.py).
_JIEBA_BLOCK = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]+|\w")
_FAST_UNSAFE = re.compile(r"[+#&.%\-]|[^\W\u4E00-\u9FD5]")
_DATE_PART = re.compile(r"\d+[年月日号]")
_WORD_CHAR = re.compile(r"\w")


def _number_tokens(expr: str) -> list[str]:
    """Tokens of one number expression: the whole, its date parts, and the bare number."""
    tokens = [expr]
    parts = _DATE_PART.findall(expr)
    if len(parts) > 1:
        tokens += parts
        if len(parts) == 3:
            tokens.append(parts[1] + parts[2])
    else:
        digits = re.match(r"\d+(?:[.,]\d+)*", expr)
        if digits and digits.group() != expr:
            tokens.append(digits.group())
    return tokens


def read_word_list(path: Path | None) -> frozenset[str]:
    """Read a word list, one word per line, ``#`` starting a comment."""
    if path is None or not path.exists():
        return frozenset()
    words = (
        line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines()
    )
    return frozenset(normalize(w) for w in words if w)


def read_synonyms(path: Path | None) -> dict[str, str]:
    """Read ``canonical: [variant, ...]`` groups into a variant → canonical map."""
    if path is None or not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        raise ConfigError(f"同义词文件 {path} 不是合法的 YAML") from None
    if not isinstance(data, dict):
        raise ConfigError(f"同义词文件 {path} 必须是“标准词: [同义词, ...]”的映射")
    mapping: dict[str, str] = {}
    for canonical, variants in data.items():
        if not isinstance(variants, list):
            raise ConfigError(f"同义词文件 {path}：{canonical} 的值必须是列表")
        for variant in variants:
            mapping[normalize(str(variant))] = normalize(str(canonical))
    return mapping


def _kept(segments: Mapping[str, Any], cut: list[str]) -> list[Any]:
    """``segments``' value for each segment of ``cut`` but the dropped (None) ones; a hole
    stands for itself."""
    return [k for k in map(segments.__getitem__, cut) if k is not None]


class _Memo(dict[str, Any]):
    """A function's results by argument, computed on first lookup (the lookup runs in C); the
    hole standing for a number expression maps to itself."""

    def __init__(self, function: Callable[[str], Any]) -> None:
        super().__init__()
        self.function = function

    def __missing__(self, key: str) -> Any:
        value = self[key] = _HOLE if key == _HOLE else self.function(key)
        return value


def _rjieba_available() -> bool:
    return find_spec("rjieba") is not None


_default_claimed = threading.Lock()


def _new_rjieba() -> Any:
    """A jieba-rs instance of our own. The first one is rjieba's module default, built at its
    import and otherwise unused here (building another costs a seventh of a second)."""
    import rjieba

    if _default_claimed.acquire(blocking=False):
        return rjieba._DEFAULT_JIEBA
    return rjieba.Jieba()


def _userdict_entries(data: bytes) -> list[tuple[str, int | None, str | None]]:
    """jieba's user dictionary lines: ``word [freq] [tag]``."""
    entries = []
    for line in data.decode("utf-8-sig").splitlines():
        parts = line.split()
        if not parts:
            continue
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
        entries.append((parts[0], freq, tag))
    return entries


class Tokenizer:
    """jieba wrapped once: its own instance and user dictionary, number expressions kept whole."""

    def __init__(
        self,
        userdict: Path | None = None,
        stopwords: Iterable[str] = (),
        synonyms: Mapping[str, str] | None = None,
        fast: bool = True,
    ) -> None:
        self._userdict = userdict.read_bytes() if userdict and userdict.exists() else b""
        self._userdict_path = userdict
        self._jieba_instance: jieba.Tokenizer | None = None
        self._fast_instance: object | None = None
        self.fast = fast and _rjieba_available()
        self._pos_instance: object | None = None
        self._init_lock = threading.Lock()
        self._tagged = lru_cache(maxsize=TAG_CACHE)(self._tag)
        self._kept = _Memo(self._keep)
        self._numbers = _Memo(lambda expr: tuple(_number_tokens(expr)))
        self.stopwords = frozenset(stopwords)
        self.synonyms = dict(synonyms or {})
        self._written: dict[str, tuple[str, ...]] = {}
        for variant, canonical in self.synonyms.items():
            self._written[canonical] = (*self._written.get(canonical, (canonical,)), variant)
        digest = hashlib.sha256(self._userdict)
        digest.update("\n".join(sorted(self.stopwords)).encode())
        digest.update(repr(sorted(self.synonyms.items())).encode())
        digest.update(f"{version('jieba')}/{TOKENS_VERSION}/{self.fast}".encode())
        self.signature = digest.hexdigest()[:16]

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        """Pickled as its settings (worker processes build their own)."""
        return (Tokenizer, (self._userdict_path, self.stopwords, self.synonyms, self.fast))

    @property
    def _jieba(self) -> jieba.Tokenizer:
        """jieba's own instance, loaded on first use (importing jieba and its dictionary takes a
        second; most text goes to jieba-rs)."""
        if self._jieba_instance is None:
            with self._init_lock:
                if self._jieba_instance is None:
                    import jieba

                    jieba.setLogLevel(logging.WARNING)
                    tokenizer = jieba.Tokenizer()
                    tokenizer.initialize()
                    if self._userdict:
                        with self._userdict_path.open("rb") as handle:  # type: ignore[union-attr]
                            tokenizer.load_userdict(handle)
                    self._jieba_instance = tokenizer
        return self._jieba_instance

    @property
    def _rjieba(self) -> Any:
        """jieba-rs (rjieba) with the same user dictionary, for the text where it agrees."""
        if self._fast_instance is None:
            with self._init_lock:
                if self._fast_instance is None:
                    fast = _new_rjieba()
                    for word, freq, tag in _userdict_entries(self._userdict):
                        fast.add_word(word, freq or fast.suggest_freq(word), tag)
                    self._fast_instance = fast
        return self._fast_instance

    def segment(self, text: str) -> list[str]:
        """jieba's search-mode cut of normalised ``text``; jieba-rs where it gives the same."""
        return self._cut(text, search=True)

    def _cut(self, text: str, search: bool) -> list[str]:
        """jieba's cut (search mode or precise, with HMM), by jieba-rs on the blocks where the
        two agree and by jieba itself on the others; jieba is only loaded when needed."""
        if not self.fast:
            return list(self._slow_cut(text, search))
        if not _FAST_UNSAFE.search(text):
            return self._fast_cut(text, search)
        out: list[str] = []
        pos = 0
        for block in _JIEBA_BLOCK.finditer(text):
            if _FAST_UNSAFE.search(block.group()):
                if block.start() > pos:
                    out += self._fast_cut(text[pos : block.start()], search)
                out += self._slow_cut(block.group(), search)
                pos = block.end()
        if pos < len(text):
            out += self._fast_cut(text[pos:], search)
        return out

    def _fast_cut(self, text: str, search: bool) -> list[str]:
        fast = self._rjieba
        return fast.cut_for_search(text, True) if search else fast.cut(text, True)

    def _slow_cut(self, text: str, search: bool) -> Iterable[str]:
        return self._jieba.cut_for_search(text) if search else self._jieba.cut(text)

    def warm_up(self) -> None:
        """Load the dictionaries now rather than on the first question (for a long-running
        process: jieba itself too, which cuts runs holding Latin letters or digits)."""
        self.tokens("预热")
        self.tagged("预热")
        _ = self._jieba

    @classmethod
    def from_files(
        cls, userdict: Path | None, stopwords: Path | None, synonyms: Path | None
    ) -> Tokenizer:
        """Build the tokenizer from the configured word files."""
        return cls(userdict, read_word_list(stopwords), read_synonyms(synonyms))

    def tokens(self, text: str) -> list[str]:
        """Search-mode tokens of ``text`` (words and their sub-words), without punctuation or stop
        words; used for both passages and questions so that they always meet."""
        return self.normalized_tokens(normalize(text))

    def normalized_tokens(self, norm: str) -> list[str]:
        """``tokens`` of text already normalised."""
        if len(self._kept) + len(self._numbers) > KEPT_CACHE:
            self._kept.clear()
            self._numbers.clear()
        return self._walk(norm, self._kept, self._numbers)

    def written(self, token: str) -> tuple[str, ...]:
        """How ``token`` can be written in normalised text: a token is a piece of the text it
        came from, or a synonym's canonical word for one of its variants."""
        return self._written.get(token, (token,))

    def forms(self, terms: Iterable[str]) -> Forms:
        """Each of ``terms`` with each way it can be written (``written``), flat: checking a
        text for them is one pass."""
        return tuple((t, w) for t in terms for w in self.written(t))

    def encoder(self, ids: Mapping[str, int]) -> Callable[[str], list[int]]:
        """``tokens`` as ids from ``ids`` (a mapping that numbers new terms itself), with one
        lookup per segment: the fast path of indexing."""
        segments = _Memo(lambda s: None if (kept := self._keep(s)) is None else ids[kept])
        numbers = _Memo(lambda expr: tuple(map(ids.__getitem__, _number_tokens(expr))))
        return lambda text: self._walk(normalize_once(text), segments, numbers)

    def _walk(
        self, norm: str, segments: Mapping[str, Any], numbers: Mapping[str, tuple[Any, ...]]
    ) -> list[Any]:
        """The tokens of each number expression from ``numbers``, of each segment of the text
        between them from ``segments`` (None drops a segment)."""
        if _HOLE in norm:  # text not normalised: a control character separates like a space
            norm = norm.replace(_HOLE, " ")
        parts = _NUMBER_PIECES.split(norm)
        # The text between numbers cut in one call, a hole where each number stood.
        cut = _kept(segments, self.segment(_HOLE.join(parts[::2])))
        if len(parts) == 1:
            return cut
        out: list[Any] = []
        start = 0
        for expr in parts[1::2]:
            end = cut.index(_HOLE, start)
            out += cut[start:end]
            out += numbers[expr]
            start = end + 1
        out += cut[start:]
        return out

    def _keep(self, token: str) -> str | None:
        """What a segment becomes in the index: nothing for punctuation and stop words, the
        canonical word for a synonym."""
        token = token.strip()
        if not token or not _WORD_CHAR.search(token) or token in self.stopwords:
            return None
        return self.synonyms.get(token, token)

    def words(self, text: str) -> list[str]:
        """Precise-mode words of ``text`` as written (not normalised): joined, they give it back."""
        return self._cut(text, search=False)

    def tagged(self, text: str) -> tuple[tuple[str, str], ...]:
        """Precise-mode words of normalised ``text`` with jieba's part-of-speech tags (by jieba-rs,
        which tags as jieba.posseg does, when it is available: no second dictionary to load)."""
        return self._tagged(text)

    def _tag(self, text: str) -> tuple[tuple[str, str], ...]:
        if self.fast:  # jieba-rs tags as jieba.posseg does (its names, places, organisations)
            return tuple(self._rjieba.tag(normalize(text), True))
        if self._pos_instance is None:
            import jieba.posseg  # its probability tables take half a second to import

            self._pos_instance = jieba.posseg.POSTokenizer(self._jieba)
        pairs = self._pos_instance.cut(normalize(text))  # type: ignore[attr-defined]
        return tuple((pair.word, pair.flag) for pair in pairs)
