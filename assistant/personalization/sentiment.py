"""Sentiment of each customer message with VADER (offline: its lexicon ships in the wheel), and
the rule that turns it into escalation: a frustrated customer is offered a human sooner.

A hook for a better analyser (an LLM when one is configured) is :func:`analyse`'s ``scorer``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, List, Optional, Sequence

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

POSITIVE, NEGATIVE = 0.05, -0.05  # VADER's own thresholds of its compound score
FRUSTRATED = -0.5  # one message this negative is frustration
UPSET = -0.25  # two of these in a row are too
Scorer = Callable[[str], float]


@dataclass(frozen=True)
class Sentiment:
    compound: float
    label: str  # positive, neutral, negative

    @property
    def frustrated(self) -> bool:
        return self.compound <= FRUSTRATED


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def vader_score(text: str) -> float:
    return float(_analyzer().polarity_scores(text or "")["compound"])


def analyse(text: str, scorer: Optional[Scorer] = None) -> Sentiment:
    """The sentiment of one message (``scorer`` replaces VADER, e.g. an LLM's judgement)."""
    compound = round((scorer or vader_score)(text or ""), 4)
    label = "positive" if compound >= POSITIVE else "negative" if compound <= NEGATIVE else "neutral"
    return Sentiment(compound, label)


def is_frustrated(texts: Sequence[str], scorer: Optional[Scorer] = None) -> bool:
    """Whether the latest of the customer's messages (oldest first) show frustration: the last
    one very negative, or the last two both clearly negative."""
    scores = [analyse(text, scorer).compound for text in texts[-2:]]
    if not scores:
        return False
    return scores[-1] <= FRUSTRATED or (len(scores) == 2 and max(scores) <= UPSET)


def recently_frustrated(texts: Sequence[str], window: int = 3, scorer: Optional[Scorer] = None) -> bool:
    """Whether frustration showed in the last ``window`` messages (for a handoff's priority:
    "yes please" to the offer of a human does not undo it)."""
    return any(is_frustrated(texts[: len(texts) - back], scorer) for back in range(min(window, len(texts))))


def trend(compounds: List[float]) -> str:
    """``improving``, ``declining``, ``stable`` or ``unknown``: the mean of the newest three
    scores against the three before."""
    if len(compounds) < 2:
        return "unknown"
    recent, earlier = compounds[-3:], compounds[-6:-3] or compounds[:1]
    change = sum(recent) / len(recent) - sum(earlier) / len(earlier)
    return "improving" if change > 0.15 else "declining" if change < -0.15 else "stable"
