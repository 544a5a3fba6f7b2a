"""Personalization (ARCHITECTURE.md: assistant/personalization), all rule-based and offline.

- :mod:`~assistant.personalization.profile`: a profile per customer, behaviour events.
- :mod:`~assistant.personalization.segments`: segments from rules (field, operator, value).
- :mod:`~assistant.personalization.recommendations`: recommendations from the profile.
- :mod:`~assistant.personalization.sentiment`: sentiment per message, frustration.
- :mod:`~assistant.personalization.replies`: the slots that personalize replies.
"""
