"""Quiets third-party noise in this project's virtualenv; installed into its site-packages by
scripts/bootstrap.sh (with a .pth file that imports it when Python starts).

`make run` and `make test` should read as a story, not as dozens of warnings from libraries
we cannot change (pkg_resources, jax, matplotlib and pyparsing deprecations; Rasa's known false
positives). Libraries such as Sanic and Rasa install warning filters of their own when they are
imported, so instead of a filter this replaces ``warnings.showwarning`` and drops, by category
and by where the warning was raised, only those: a warning raised from our own code (anything
outside site-packages) always shows. ``NORTHWIND_ALL_WARNINGS=1`` shows everything
(scripts/validate_data.py sets it, as it reads Rasa's warnings itself).
"""

import os
import re
import warnings

NOISY = (DeprecationWarning, PendingDeprecationWarning, FutureWarning, ImportWarning)
# Rasa 3.6's false positives in a correct project (checked by scripts/validate_data.py; the FAQ
# answers are picked by our own LinearResponseSelector, not Rasa's ResponseSelector), and
# SQLite storing Numeric as float in the demo database.
KNOWN = re.compile(
    r"The utterance 'utter_\w+' is not used in any story or rule|"
    r"The following duplicated intents have been found across multiple domain files: faq|"
    r"your NLU configuration does not include a response selector component|"
    r"Dialect sqlite\+pysqlite does \*not\* support Decimal"
)


def _is_noise(message, category, filename):
    third_party = "site-packages" in (filename or "")
    if third_party and issubclass(category, NOISY):
        return True
    return bool(KNOWN.search(str(message)))


def _install():
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    shown = warnings.showwarning

    def showwarning(message, category, filename, lineno, file=None, line=None):
        if not _is_noise(message, category, filename):
            shown(message, category, filename, lineno, file, line)

    warnings.showwarning = showwarning


if os.environ.get("NORTHWIND_ALL_WARNINGS") != "1":
    _install()
