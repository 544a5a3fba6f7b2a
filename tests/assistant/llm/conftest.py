"""The loopback OpenAI-compatible stand-in, and clients pointed at it."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.llm_standin import LLMStandIn


@pytest.fixture(scope="session")
def standin_server() -> Iterator[LLMStandIn]:
    server = LLMStandIn().start()
    yield server
    server.stop()


@pytest.fixture
def standin(standin_server: LLMStandIn) -> Iterator[LLMStandIn]:
    """The stand-in with no scripted failures and no requests seen."""
    standin_server.reset()
    yield standin_server
    standin_server.reset()
