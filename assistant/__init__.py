"""Shared core of the assistant: configuration, the store's data layer and Rasa server plug-ins."""
