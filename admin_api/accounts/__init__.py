"""Accounts of the admin API: registration with a verified e-mail, sessions (login, rotating
refresh tokens, logout), profiles and two-factor codes, the admins' user management and API keys.
Plain functions over the store; the blueprints run them in worker threads."""
