"""The admin API: a Sanic application (``create_app`` in admin_api/app.py) for admins and agents
(users, conversations, handoff) and for signed-in customers (their own chat API), on the same
database and tracker store as the Rasa server and the action server. Run it with
``python -m admin_api`` (scripts/run.sh does)."""
