"""Custom Rasa input channels, registered in credentials.yml by class path.

``channels.rest.RestInput``: the REST webhook (``/webhooks/rest/webhook``), with body validation,
replay of retried message ids, visible failures, and the server's health routes.

``channels.socketio.WebChatInput``: the web channel (socket.io for the rasa-webchat widget and
for conversation clients such as the agent desk, plus the ``/webchat`` page).
"""
