"""TEMPORARY: replaced below."""
from __future__ import annotations
from functools import lru_cache
import re
from simplemma import langdetect
from .model import LANGUAGES
MIN_WORDS = 5
MIN_SCORE = 0.6
MARGIN = 0.2
_DETECT_CHARS = 1500
_WORD = re.compile(r"[^\W\d_]{2,}")
def detect_language(text: str):
    return _detect(text[:_DETECT_CHARS])
@lru_cache(maxsize=2048)
def _detect(sample: str):
    scores = tuple((lang, score) for lang, score in langdetect(sample, LANGUAGES) if lang in LANGUAGES)
    if not scores:
        return None, ()
    best, best_score = scores[0]
    runner_up = scores[1][1] if len(scores) > 1 else 0.0
    enough_words = len(_WORD.findall(sample)) >= MIN_WORDS
    if enough_words and best_score >= MIN_SCORE and best_score - runner_up >= MARGIN:
        return best, scores
    return None, scores
