"""The WhatsApp channel: Meta's WhatsApp Cloud API calls our webhook, we answer through the
Graph API. Registered in credentials.yml as ``channels.whatsapp.channel.WhatsAppInput``.

- ``channel``: the Rasa input channel, its blueprint and output channels.
- ``webhook``: verification (GET) and signed deliveries (POST), answered once stored.
- ``inbound``: a webhook body as messages and statuses; ``handling``: what each type becomes.
- ``records``: the ``whatsapp_messages`` and ``whatsapp_statuses`` tables (the durable inbox,
  deduplication, statuses, outgoing messages and their fate).
- ``worker``: the background turns, retried from the inbox; ``voice``: voice notes as text.
- ``graph``, ``meta_errors``, ``outgoing``, ``sender``: the Graph API client, Meta's error codes,
  Rasa replies as WhatsApp messages, and sending them with retries, pacing and re-engagement.
- ``delivery``: ``deliver_agent_message``, an agent's message to a conversation;
  ``agent_api``: ``POST /api/channels/whatsapp/messages`` on the Rasa server.
"""
