"""Custom Rasa input channels, registered in credentials.yml by class path.

``channels.socketio.WebChatInput``: the web channel (socket.io for the rasa-webchat widget and
for conversation clients such as the agent desk, plus the ``/webchat`` page).
"""
