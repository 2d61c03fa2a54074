"""Compact lemma tables shipped with the package and simplemma's lemmatiser running on them.

simplemma's full dictionaries of our six languages hold 9.5 million word forms (about 900 MB once
loaded).  The classifier only needs the lemmas of words that can take part in a rule match, so
``build_lexicon`` keeps, per language, the dictionary entries whose word form or lemma matches a
pattern of the shipped rules, plus the few entries that keep simplemma's rule-based fallbacks
(suffix rules, prefix and compound decomposition) from reaching a different result than they do
with the full dictionary.  On every word form of the full dictionaries (and on their spellings
without diacritics) the compact tables therefore give the same rule matches as the full ones.

A table is a sorted text file ``lemmas-<lang>.txt.xz``: a ``#`` header line of ``key=value``
pairs (simplemma version, fingerprint of the rule patterns it was built for), then one entry a
line: ``form<TAB>lemma``, or ``form`` alone when the lemma is the form itself.
"""

from __future__ import annotations

import lzma
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path

from simplemma import Lemmatizer
from simplemma.strategies import DefaultStrategy
from simplemma.strategies.dictionaries.dictionary_factory import DictionaryFactory

DATA_DIR = Path(__file__).resolve().parent / "data"


def table_path(language: str, data_dir: Path = DATA_DIR) -> Path:
    return data_dir / f"lemmas-{language}.txt.xz"


def encode_table(table: Mapping[str, str], header: Mapping[str, str]) -> bytes:
    head = "# " + " ".join(f"{key}={value}" for key, value in sorted(header.items()))
    lines = [head]
    for form in sorted(table):
        lemma = table[form]
        lines.append(form if lemma == form else f"{form}\t{lemma}")
    return lzma.compress(("\n".join(lines) + "\n").encode("utf-8"), preset=9 | lzma.PRESET_EXTREME)


def decode_table(data: bytes) -> tuple[dict[str, str], dict[str, str]]:
    """(table, header) of an encoded table."""
    text = lzma.decompress(data).decode("utf-8")
    head, _, body = text.partition("\n")
    if not head.startswith("# "):
        raise ValueError("lemma table without header line")
    header = dict(item.split("=", 1) for item in head[2:].split())
    table: dict[str, str] = {}
    for line in body.split("\n"):
        if line:
            form, tab, lemma = line.partition("\t")
            table[form] = lemma if tab else form
    return table, header


@lru_cache(maxsize=None)
def load_table(language: str) -> tuple[dict[str, str], dict[str, str]]:
    """The shipped table of ``language`` (read once per process) and its header."""
    path = table_path(language)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run python -m ticketdesk.priority.build_lexicon")
    return decode_table(path.read_bytes())


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
