"""Many short texts searched as one: which of them a string is written in."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from itertools import accumulate


class Joined:
    """Texts joined by line breaks: the texts a string is written in are found by searching the
    whole once per text holding it, not each text in turn (the strings hold no line break)."""

    def __init__(self, texts: list[str]) -> None:
        self.text = "\n".join(texts)
        self.starts = list(accumulate([len(t) + 1 for t in texts], initial=0))

    def __len__(self) -> int:
        return len(self.starts) - 1

    def holding(self, key: str) -> Iterator[int]:
        """The positions of the texts ``key`` is written in, in order."""
        text, starts = self.text, self.starts
        at = text.find(key) if len(starts) > 1 else -1  # no texts: "" is not written in any
        while at >= 0:
            k = bisect_right(starts, at) - 1
            yield k
            at = text.find(key, starts[k + 1])
