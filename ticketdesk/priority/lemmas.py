"""Compact lemma tables shipped with the package and simplemma's lemmatiser running on them.

simplemma's full dictionaries of our six languages hold 9.5 million word forms (about 900 MB once
loaded).  The classifier only needs the lemmas of words that can take part in a rule match, so
``build_lexicon`` keeps, per language, two small cuts of the dictionary:

* the match table (``lemmas-<lang>.txt.xz``, 550 to 25,000 entries): with it, simplemma's
  pipeline (dictionary look-up, suffix rules, prefix and compound decomposition) gives every
  word form of the full dictionary (also written without diacritics, and English words) a
  lemma that matches the same rule patterns as the full dictionary's lemma;
* the display table (``lemmas-<lang>.display.txt.xz``): with both, every word that can be part
  of a signal gets exactly simplemma's lemma, which a reason shows.  It is kept encoded
  (:class:`SortedLines`) and only read when a reason is written.

A table file is a ``#`` header line of ``key=value`` pairs, then one entry a line, sorted:
``form<TAB>lemma``, or ``form`` alone when the lemma is the form itself (match tables only).
"""

from __future__ import annotations

import json
import lzma
from collections.abc import Callable, Iterator, Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from simplemma import Lemmatizer
from simplemma.strategies import DefaultStrategy
from simplemma.strategies.dictionaries.dictionary_factory import DictionaryFactory

DATA_DIR = Path(__file__).resolve().parent / "data"


COVERAGE_PATH = DATA_DIR / "coverage.json"


def table_path(language: str, data_dir: Path = DATA_DIR) -> Path:
    return data_dir / f"lemmas-{language}.txt.xz"


def display_path(language: str, data_dir: Path = DATA_DIR) -> Path:
    return data_dir / f"lemmas-{language}.display.txt.xz"


def pattern_key(mode: str, text: str) -> str:
    """How a (non surface-only) pattern alternative is named in ``coverage.json``."""
    return f"{mode}:{text}"


@lru_cache(maxsize=1)
def coverage() -> dict[str, Any]:
    """What the shipped tables were built for: simplemma version and, per language, the pattern
    alternatives (``pattern_key``) whose lemma matches the tables give exactly."""
    return json.loads(COVERAGE_PATH.read_text(encoding="utf-8"))


def covered_patterns(language: str) -> frozenset[str]:
    return frozenset(coverage()["languages"][language]["alternatives"])


def encode_table(table: Mapping[str, str], header: Mapping[str, str], *, pairs: bool = False) -> bytes:
    """``pairs``: write ``form<TAB>lemma`` also where they are the same (for :class:`SortedLines`)."""
    head = "# " + " ".join(f"{key}={value}" for key, value in sorted(header.items()))
    lines = [head]
    for form in sorted(table):
        lemma = table[form]
        lines.append(form if lemma == form and not pairs else f"{form}\t{lemma}")
    return lzma.compress(("\n".join(lines) + "\n").encode("utf-8"), preset=9 | lzma.PRESET_EXTREME)


def decode_table(data: bytes) -> tuple[dict[str, str], dict[str, str]]:
    """(table, header) of an encoded table."""
    text = lzma.decompress(data).decode("utf-8")
    head, _, body = text.partition("\n")
    if not head.startswith("# "):
        raise ValueError("lemma table without header line")
    header = dict(item.split("=", 1) for item in head[2:].split())
    table: dict[str, str] = {}
    lemmas: dict[str, str] = {}  # one string object per lemma: many forms share it
    for line in body.split("\n"):
        if line:
            form, tab, lemma = line.partition("\t")
            table[form] = lemmas.setdefault(lemma, lemma) if tab else form
    return table, header


@cache
def load_table(language: str) -> tuple[dict[str, str], dict[str, str]]:
    """The shipped table of ``language`` (read once per process) and its header."""
    path = table_path(language)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run python -m ticketdesk.priority.build_lexicon")
    return decode_table(path.read_bytes())


@cache
def load_display_table(language: str) -> SortedLines:
    """The entries that only make shown lemmas exact (see ``build_lexicon``), kept encoded."""
    data = lzma.decompress(display_path(language).read_bytes())
    return SortedLines(data[data.index(b"\n") + 1 :])


class SortedLines(Mapping[str, str]):
    """A table as sorted ``form<TAB>lemma`` lines in one bytes object, searched by bisection:
    about 25 bytes per entry instead of 150 in a dict, for tables read a few times per message."""

    def __init__(self, data: bytes) -> None:
        """``data``: lines ``form<TAB>lemma`` sorted by form (``encode_table(..., pairs=True)``)."""
        self._data = data.rstrip(b"\n")

    def get(self, key: str, default: Any = None) -> Any:
        target = key.encode("utf-8") + b"\t"
        data = self._data
        low, high = 0, len(data)
        while low < high:
            middle = (low + high) // 2
            start = data.rfind(b"\n", 0, middle) + 1
            end = data.find(b"\n", start)
            end = len(data) if end < 0 else end
            line = data[start:end]
            if line.startswith(target):
                return line[len(target) :].decode("utf-8")
            if line < target:
                low = end + 1
            else:
                high = start
        return default

    def __getitem__(self, key: str) -> str:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __iter__(self) -> Iterator[str]:
        for line in self._data.split(b"\n"):
            if line:
                yield line.split(b"\t", 1)[0].decode("utf-8")

    def __len__(self) -> int:
        return self._data.count(b"\n") + 1 if self._data else 0


class Layers(Mapping[str, str]):
    """Look-ups in a first table, then in a second one."""

    def __init__(self, first: Mapping[str, str], second: Mapping[str, str]) -> None:
        self._first = first
        self._second = second

    def get(self, key: str, default: Any = None) -> Any:
        found = self._first.get(key)
        return found if found is not None else self._second.get(key, default)

    def __getitem__(self, key: str) -> str:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __iter__(self) -> Iterator[str]:
        yield from self._first
        yield from (key for key in self._second if key not in self._first)

    def __len__(self) -> int:
        return sum(1 for _key in self)


class _OneTable(DictionaryFactory):
    """simplemma's dictionary interface over one in-memory table (of one language)."""

    __slots__ = ("_language", "_table")

    def __init__(self, language: str, table: Mapping[str, str]) -> None:
        self._language = language
        self._table = table

    def get_dictionary(self, lang: str) -> Mapping[str, str]:
        if lang != self._language:
            raise ValueError(f"no lemma table for {lang!r} here")
        return self._table


def simplemma_lemmatizer(language: str, table: Mapping[str, str]) -> Callable[[str], str]:
    """simplemma's full pipeline (dictionary look-up, hyphens, suffix rules, prefix and affix
    decomposition) on ``table`` instead of the full dictionary; no cache of its own."""
    lemmatizer = Lemmatizer(
        cache_max_size=0,
        lemmatization_strategy=DefaultStrategy(dictionary_factory=_OneTable(language, table)),
    )

    def lemmatize(word: str) -> str:
        return lemmatizer.lemmatize(word, language)

    return lemmatize


def lemma_with(lemmatize: Callable[[str], str], word: str) -> str:
    """The lemma of ``word``; a capitalised word simplemma does not know is tried in lower case.

    Unknown words stay as they are; words simplemma refuses (e.g. empty after NFC) too.
    """
    try:
        found = lemmatize(word)
    except ValueError:
        return word
    if found == word and not word.islower():
        lowered = lemmatize(word.lower())
        if lowered != word.lower():
            return lowered
    return found
