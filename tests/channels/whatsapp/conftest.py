"""The WhatsApp channel on a real Rasa server (with the session's PostgreSQL, Redis and action
server, tests/integration), talking to a loopback stand-in for the Graph API (fixture ``graph``
in tests/channels/conftest.py, which the e-mail tests use too)."""

from __future__ import annotations

from typing import Dict

import pytest

from tests.channels.chat import SECRET
from tests.channels.whatsapp.fake_graph import TOKEN, FakeGraph
from tests.channels.whatsapp.payloads import APP_SECRET, PHONE_NUMBER_ID, VERIFY_TOKEN
from tests.integration.conftest import Server, Stack, wait_until_up

TEMPLATE = "northwind_reconnect"


def whatsapp_env(graph_url: str) -> Dict[str, str]:
    return {
        "WHATSAPP_APP_SECRET": APP_SECRET, "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_ACCESS_TOKEN": TOKEN, "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_GRAPH_BASE_URL": graph_url, "WHATSAPP_REENGAGEMENT_TEMPLATE": TEMPLATE,
        "WHATSAPP_RETRY_BASE_SECONDS": "0.05", "WHATSAPP_PAIR_PACE_SECONDS": "0.5",
        "WHATSAPP_TURN_RETRY_SECONDS": "0.5", "WHATSAPP_SWEEP_SECONDS": "0.5",
        "WEBCHAT_JWT_SECRET": SECRET,
    }  # fmt: skip


@pytest.fixture(scope="session")
def wa(stack: Stack, graph: FakeGraph) -> Server:
    """A Rasa server with the WhatsApp channel configured against the fake Graph API."""
    server = stack.spawn_rasa(whatsapp_env(graph.url))
    wait_until_up(f"{server.url}/status", server.process, server.log, timeout=480)
    return server
