"""E-mails a customer a single-use link (password reset, payment update) to the address on file."""

from __future__ import annotations

from actions.services import get_settings, get_store
from assistant.mailer import deliver_in_background

PASSWORD_RESET = "password_reset"
PAYMENT_UPDATE = "payment_update"


def email_link(customer_id: int, purpose: str) -> None:
    """Queues the e-mail with its token, then starts delivering the outbox (off the event loop)."""
    settings, store = get_settings(), get_store()
    base = settings.password_reset_url if purpose == PASSWORD_RESET else settings.payment_portal_url
    store.send_link(customer_id, purpose, base)
    deliver_in_background(store, settings)
