"""Plug-ins loaded by the Rasa server by class path (see endpoints.yml and config.yml)."""
