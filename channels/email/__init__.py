"""The e-mail channel: IMAP in (channels/email/listener.py), replies out through the store's
outbox and assistant/mailer.py. See channels/email/channel.py."""
