"""Who the customer is, how sure we are, and what they may do (see ARCHITECTURE.md).

- :mod:`~assistant.identity.permissions`: the one table of permission rules (``decide``).
- :mod:`~assistant.identity.links`: (channel, external id) -> customer, shared by every channel.
- :mod:`~assistant.identity.claims`: what a channel proved about a message's sender, signed.
- :mod:`~assistant.identity.codes`: one-time codes e-mailed to the address on file.
- :mod:`~assistant.identity.facts`: an order's e-mail or postcode, for read-only answers.
"""
