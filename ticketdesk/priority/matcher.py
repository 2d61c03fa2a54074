"""Compile rule patterns once and find their matches in tokenised sentences.

Every distinct pattern alternative gets an id; a word's set of matching ids is computed once per
(word, language) through hash look-ups (exact, prefix and suffix tables by length), so matching
a sentence costs a few set intersections per word.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .lexicon import Lexicon, lexicon_for
from .model import ANY_LANGUAGE, LANGUAGES, SIGNAL, Rule, level_rank
from .text import Token, fold

EXACT, PREFIX, SUFFIX, CONTAINS = "exact", "prefix", "suffix", "contains"


@dataclass(frozen=True)
class Alternative:
    mode: str
    text: str
    surface_only: bool


@dataclass(frozen=True)
class Phrase:
    rule_index: int
    pattern: str
    elements: tuple[frozenset[int], ...]
    gap: int


@dataclass(frozen=True)
class Match:
    rule: Rule
    language: str  # the language whose lemmas were used
    indices: tuple[int, ...]
    pattern: str

    @property
    def start(self) -> int:
        return self.indices[0]

    @property
    def end(self) -> int:
        return self.indices[-1]

    def overlaps(self, other: Match) -> bool:
        return bool(set(self.indices) & set(other.indices))


def parse_alternative(raw: str) -> Alternative:
    surface_only = raw.startswith("=")
    body = raw[1:] if surface_only else raw
    starts, ends = body.startswith("*"), body.endswith("*") and len(body) > 1
    text = fold(body.strip("*"))
    if starts and ends:
        mode = CONTAINS
    elif starts:
        mode = SUFFIX
    elif ends:
        mode = PREFIX
    else:
        mode = EXACT
    return Alternative(mode, text, surface_only)


class RuleSet:
    """Compiled rules; build it once (``compile_rules``) and reuse it for every message."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules: tuple[Rule, ...] = tuple(r for r in rules if r.enabled)
        ids = [r.id for r in self.rules]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate rule ids: {duplicates}")
        self._alt_ids: dict[Alternative, int] = {}
        self._phrases: list[Phrase] = []
        # Lemma patterns per rule language, for the lexicon that must cover them.
        self._lemma_patterns: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for index, rule in enumerate(self.rules):
            for pattern in (*rule.terms, *rule.phrases):
                elements = []
                for word in pattern.split():
                    alternatives = [parse_alternative(alt) for alt in word.split("|")]
                    elements.append(frozenset(self._alt_id(alt) for alt in alternatives))
                    self._lemma_patterns[rule.language].update(
                        (alt.mode, alt.text) for alt in alternatives if not alt.surface_only
                    )
                self._phrases.append(Phrase(index, pattern, tuple(elements), rule.gap))
        self._tables = PatternTables(self._alt_ids)
        self._first: dict[str, dict[int, list[Phrase]]] = {}
        self._lexicons: dict[str, Lexicon] = {}
        self._word_cache: dict[str, dict[str, frozenset[int]]] = {}  # language -> word -> ids
        self._shown_cache: dict[str, dict[str, str]] = {}  # language -> word -> shown lemma

    def _alt_id(self, alt: Alternative) -> int:
        return self._alt_ids.setdefault(alt, len(self._alt_ids))

    def languages_with_rules(self) -> tuple[str, ...]:
        present = {r.language for r in self.rules}
        return tuple(lang for lang in LANGUAGES if lang in present)

    def _first_index(self, language: str) -> dict[int, list[Phrase]]:
        index = self._first.get(language)
        if index is None:
            index = defaultdict(list)
            for phrase in self._phrases:
                if self.rules[phrase.rule_index].language in (language, ANY_LANGUAGE):
                    for alt in phrase.elements[0]:
                        index[alt].append(phrase)
            self._first[language] = index = dict(index)
        return index

    def lexicon(self, language: str) -> Lexicon:
        """The lemmas used for ``language`` (the shipped tables unless an admin's new pattern needs
        more, see :func:`.lexicon.lexicon_for`)."""
        found = self._lexicons.get(language)
        if found is None:
            patterns = self._lemma_patterns[language] | self._lemma_patterns[ANY_LANGUAGE]
            found = self._lexicons[language] = lexicon_for(language, patterns)
        return found

    def word_ids(self, word: str, language: str) -> frozenset[int]:
        cache = self._word_cache.get(language)
        if cache is None:
            cache = self._word_cache[language] = {}
        found = cache.get(word)
        if found is None:
            found = self._word_ids(word, language, cache)
        return found

    def _word_ids(self, word: str, language: str, cache: dict[str, frozenset[int]]) -> frozenset[int]:
        _lemma, surface, folded_lemma = self.lexicon(language).forms(word)
        found = self._tables.lookup(surface, folded_lemma)
        if len(cache) > 65_536:
            cache.clear()
        cache[word] = found
        return found

    def shown_lemma(self, word: str, language: str) -> str:
        """``self.lexicon(language).shown_forms(word)[0]`` (the lemma a reason shows), cached."""
        cache = self._shown_cache.setdefault(language, {})
        found = cache.get(word)
        if found is None:
            found = self.lexicon(language).shown_forms(word)[0]
            if len(cache) > 16_384:
                cache.clear()
            cache[word] = found
        return found

    def find(self, tokens: Sequence[Token], language: str) -> list[Match]:
        """All matches of the rules of ``language`` (and of language '*') in one sentence."""
        first = self._first_index(language)
        cache = self._word_cache.get(language)
        if cache is None:
            cache = self._word_cache[language] = {}
        empty: frozenset[int] = frozenset()
        ids = [
            empty
            if t.is_break
            else (
                found if (found := cache.get(t.text)) is not None else self._word_ids(t.text, language, cache)
            )
            for t in tokens
        ]
        breaks = [t.is_break for t in tokens]
        matches: list[Match] = []
        seen: set[tuple[int, tuple[int, ...]]] = set()
        for i, word_ids in enumerate(ids):
            for alt in word_ids:
                for phrase in first.get(alt, ()):
                    if len(phrase.elements) == 1:
                        found: tuple[int, ...] | None = (i,)
                    else:
                        rest = _search(phrase.elements, 1, i, phrase.gap, ids, breaks)
                        found = None if rest is None else (i, *rest)
                    if found is None or (phrase.rule_index, found) in seen:
                        continue
                    seen.add((phrase.rule_index, found))
                    matches.append(Match(self.rules[phrase.rule_index], language, found, phrase.pattern))
        return _prune(matches)


def _search(
    elements: tuple[frozenset[int], ...],
    element: int,
    pos: int,
    gap: int,
    ids: Sequence[frozenset[int]],
    breaks: Sequence[bool],
) -> tuple[int, ...] | None:
    """The positions of ``elements[element:]`` after ``pos`` (at most ``gap`` words between two,
    never across a break), the first found; ``None`` when there are none."""
    if element == len(elements):
        return ()
    wanted = elements[element]
    for j in range(pos + 1, min(pos + 2 + gap, len(ids))):
        if breaks[j]:
            return None
        if not wanted.isdisjoint(ids[j]):
            rest = _search(elements, element + 1, j, gap, ids, breaks)
            if rest is not None:
                return (j, *rest)
    return None


def _prune(matches: list[Match]) -> list[Match]:
    """Of overlapping matches of one rule keep the longest; of overlapping signals the strongest."""
    matches.sort(key=lambda m: (-len(m.indices), m.start))
    kept: list[Match] = []
    for m in matches:
        clash = False
        for k in kept:
            if not m.overlaps(k):
                continue
            if k.rule.id == m.rule.id:
                clash = True
            elif k.rule.kind == SIGNAL and m.rule.kind == SIGNAL:
                assert k.rule.level is not None and m.rule.level is not None
                clash = level_rank(k.rule.level) >= level_rank(m.rule.level)
            if clash:
                break
        if not clash:
            kept.append(m)
    kept.sort(key=lambda m: (m.start, m.end))
    return kept


class PatternTables:
    """Hash tables from pattern text to alternative ids, split by mode and by surface-only."""

    def __init__(self, alternatives: dict[Alternative, int]) -> None:
        self.exact: dict[bool, dict[str, list[int]]] = {False: defaultdict(list), True: defaultdict(list)}
        self.prefix: dict[bool, dict[int, dict[str, list[int]]]] = {False: {}, True: {}}
        self.suffix: dict[bool, dict[int, dict[str, list[int]]]] = {False: {}, True: {}}
        self.contains: dict[bool, list[tuple[str, int]]] = {False: [], True: []}
        for alt, alt_id in alternatives.items():
            table = alt.surface_only
            if alt.mode == EXACT:
                self.exact[table][alt.text].append(alt_id)
            elif alt.mode == PREFIX:
                self.prefix[table].setdefault(len(alt.text), defaultdict(list))[alt.text].append(alt_id)
            elif alt.mode == SUFFIX:
                self.suffix[table].setdefault(len(alt.text), defaultdict(list))[alt.text].append(alt_id)
            else:
                self.contains[table].append((alt.text, alt_id))

    def lookup(self, surface: str, folded_lemma: str) -> frozenset[int]:
        """Ids of the alternatives matched by a word (its folded surface form or folded lemma)."""
        found: list[int] = []
        self._find(surface, False, found)
        self._find(surface, True, found)
        self._find(folded_lemma, False, found)
        return frozenset(found)

    def _find(self, form: str, table: bool, found: list[int]) -> None:
        found.extend(self.exact[table].get(form, ()))
        for length, entries in self.prefix[table].items():
            if len(form) >= length:
                found.extend(entries.get(form[:length], ()))
        for length, entries in self.suffix[table].items():
            if len(form) >= length:
                found.extend(entries.get(form[-length:], ()))
        found.extend(alt_id for text, alt_id in self.contains[table] if text in form)
