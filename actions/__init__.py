"""Custom actions of the Northwind support assistant, run by ``rasa run actions``.

One module per feature; every module's Action classes are registered when the action server
imports this package. Collaborators come from ``actions.services``.
"""
