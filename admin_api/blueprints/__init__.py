"""One blueprint per resource: health, docs, auth, users, api_keys, conversations, handoff, chat."""
