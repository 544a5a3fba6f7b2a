"""Analytics of the assistant, computed in SQL on SQLite and PostgreSQL: conversations,
messages, customers, containment (AI-resolved versus handed over), fallbacks, response and
resolution times, CSAT, intents, channels, days or hours in a time zone, and the handoff queue.

- :mod:`~assistant.analytics.period`: the date range and time zone, and the zone's offsets.
- :mod:`~assistant.analytics.sql`: expressions the two databases spell differently.
- :mod:`~assistant.analytics.queries`: one SQL statement per figure (definitions there).
- :mod:`~assistant.analytics.sources`: the store's database joined with Rasa's events table.
- :mod:`~assistant.analytics.report`: the answers of the admin API's analytics endpoints.
"""

from assistant.analytics.period import Period, PeriodError, make_period
from assistant.analytics.report import Analytics
from assistant.analytics.sources import Sources

__all__ = ["Analytics", "Period", "PeriodError", "Sources", "make_period"]
