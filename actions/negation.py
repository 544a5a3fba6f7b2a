"""Whether a customer's message says *not* to do the action being confirmed.

The intent classifier reads "dont cancel my order" much like "cancel my order" (a bag of
words and a sentence vector carry negation weakly), and inside a confirmation the intent
``cancel_order`` means yes. A confirmation must never turn a "don't" into a yes, so the
validators check the words too: a negation followed, within three words and no punctuation
or "but", by the action's verb.
"""

from __future__ import annotations

import re

_NEGATION = r"(?:don'?t|dont|do\s+not|doesn'?t|didn'?t|not|never|no\s+longer|rather\s+not)"
_GAP = r"(?:\s+(?!but\b)[\w']+){0,3}?"  # up to three words, no punctuation, no "but"
_ACTION = (
    r"(?:cancel\w*|delete\w*|clos\w*|end|ending|terminat\w*|remov\w*|chang\w*|switch\w*|go\s+ahead|proceed)"
)
NEGATED_ACTION = re.compile(rf"\b{_NEGATION}{_GAP}\s+{_ACTION}\b", re.IGNORECASE)


def negates_action(text: str) -> bool:
    """True for "don't cancel it", "I do not want to cancel my plan anymore", "please
    don't go ahead"; False for "yes cancel it", "no I still want to cancel", "I don't want
    it, cancel it"."""
    return bool(NEGATED_ACTION.search(text.replace("’", "'")))
