"""Who is calling: passwords, tokens, API keys, login throttling and two-factor codes."""
