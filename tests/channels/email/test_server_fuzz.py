"""The seed endpoints' bodies, fuzzed against the real server: never a 5xx, a body that was
not processed never gets 200."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.channels.email.helpers import post
from tests.integration.conftest import Server

pytestmark = pytest.mark.integration
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                      max_leaves=8)  # fmt: skip
FIELDS = [
    "from",
    "to",
    "subject",
    "text",
    "html",
    "threadId",
    "attachments",
    "messageId",
    "inReplyTo",
    "replyTo",
]
bodies = values | st.dictionaries(st.sampled_from(FIELDS), values, max_size=5)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, path=st.sampled_from(["/process", "/send"]))
def test_no_body_gets_a_server_error(email_server: Server, body: Any, path: str) -> None:
    answer = post(email_server.url, path, body, role="agent")
    assert answer.status_code < 500, answer.text
    if answer.status_code != 200:
        assert answer.json()["success"] is False and answer.json()["error"]["code"]
