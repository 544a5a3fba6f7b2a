"""One conversation model for every channel (see ARCHITECTURE.md): a conversation's channel,
external id, customer, status, assignee, priority and tags, and the handoff to human agents.

- :mod:`~assistant.conversations.lifecycle`: statuses, priorities, which status may follow which.
- :mod:`~assistant.conversations.registry`: the conversations table: find, create, change, list.
- :mod:`~assistant.conversations.handoff`: the queue, assign, agent replies, hand back, close.
- :mod:`~assistant.conversations.waiting`: what a queued customer is told (never silence).
- :mod:`~assistant.conversations.delivery`: how each channel delivers an agent's message.
- :mod:`~assistant.conversations.tracker_events`: transcripts read from the tracker store.
- :mod:`~assistant.conversations.sync`: conversations of every channel found in the tracker store.
- :mod:`~assistant.conversations.hours`, :mod:`~assistant.conversations.presence`: opening
  hours and signed-in agents.

Plain Python over SQLAlchemy: no transport, no process (channels and the admin API call it).
"""
