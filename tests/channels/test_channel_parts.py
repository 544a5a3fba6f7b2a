"""The web channel's parts on their own: settings, tokens, client addresses, shared state (in
memory and on the machine's Redis), message shapes."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from rasa.shared.core.events import BotUttered, UserUttered

from channels import messages as msgs
from channels.auth import Identity, client_ip, decode_token, issue_token, token_from
from channels.config import WebChatConfig
from channels.errors import AuthError, ConfigurationError
from channels.hub import maybe_await, valid_conversation_id
from channels.rooms import ConversationRooms
from channels.socketio import WebChatInput
from channels.state import MemoryState, RedisState
from tests.conftest import REDIS_URL

SECRET = "unit-test-secret-0123456789abcdefghij"


def test_settings_come_from_credentials_and_the_environment_overrides_them() -> None:
    config = WebChatConfig.from_credentials(
        {"connections_per_ip": 10, "allow_anonymous": True},
        {
            "WEBCHAT_CONNECTIONS_PER_IP": "500",
            "WEBCHAT_ALLOW_ANONYMOUS": "false",
            "WEBCHAT_TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2",
        },
    )
    assert config.connections_per_ip == 500 and config.allow_anonymous is False
    assert config.trusted_proxies == ("10.0.0.1", "10.0.0.2") and config.redis_url is None


@pytest.mark.parametrize(
    "credentials",
    [
        {"connections_per_ip": "many"},
        {"messages_per_minute": 0},
        {"allow_anonymous": "perhaps"},
        {"colour": "blue"},
    ],
)
def test_unusable_settings_fail_at_startup_with_a_typed_error(credentials: dict) -> None:
    with pytest.raises(ConfigurationError):
        WebChatConfig.from_credentials(credentials, {})


def test_the_channel_is_built_from_credentials_without_doing_work_at_import() -> None:
    channel = WebChatInput.from_credentials({"socketio_path": "/socket.io"})
    assert channel.name() == "webchat" and channel.get_output_channel() is None


def test_a_token_carries_the_users_id_role_and_name() -> None:
    identity = decode_token(issue_token(SECRET, "u-1", "agent", name="Alice"), SECRET)
    assert identity == Identity(id="u-1", role="agent", name="Alice") and identity.is_agent


@pytest.mark.parametrize(
    "token, secret, code",
    [
        (issue_token(SECRET, "u-1", "customer", ttl=-1), SECRET, "TOKEN_EXPIRED"),
        (issue_token("other-secret-0123456789abcdefghijkl", "u-1", "customer"), SECRET, "UNAUTHORIZED"),
        (issue_token(SECRET, "u-1", "customer"), None, "UNAUTHORIZED"),
        ("a.b.c", SECRET, "UNAUTHORIZED"),
    ],
)
def test_an_expired_forged_or_unverifiable_token_raises_an_auth_error(
    token: str, secret: str, code: str
) -> None:
    with pytest.raises(AuthError) as raised:
        decode_token(token, secret)
    assert raised.value.code == code


def test_a_token_without_expiry_or_with_an_unknown_role_is_refused() -> None:
    import jwt

    for claims in ({"sub": "u-1", "role": "customer"}, {"sub": "u-1", "role": "root", "exp": 4102444800}):
        with pytest.raises(AuthError):
            decode_token(jwt.encode(claims, SECRET, algorithm="HS256"), SECRET)


def test_the_token_is_read_from_auth_or_the_query_string() -> None:
    assert token_from({"token": "t1"}, {"QUERY_STRING": "token=t2"}) == "t1"
    assert token_from(None, {"QUERY_STRING": "EIO=4&token=t2"}) == "t2"
    assert token_from({}, {}) is None


def test_the_client_address_is_the_peer_unless_the_peer_is_a_trusted_proxy() -> None:
    assert client_ip("203.0.113.9", "198.51.100.1", ()) == "203.0.113.9"
    assert client_ip("10.0.0.1", "198.51.100.1, 10.0.0.2", ("10.0.0.1", "10.0.0.2")) == "198.51.100.1"
    assert client_ip("10.0.0.1", "spoofed, 198.51.100.7", ("10.0.0.1",)) == "198.51.100.7"
    assert client_ip("10.0.0.1", "not-an-ip", ("10.0.0.1",)) == "10.0.0.1"


async def test_enter_room_is_awaited_when_it_is_a_coroutine_and_called_when_it_is_not() -> None:
    calls = []

    def plain(room: str) -> None:
        calls.append(room)

    async def coroutine(room: str) -> None:
        calls.append(room)

    await maybe_await(plain("a"))
    await maybe_await(coroutine("b"))
    assert calls == ["a", "b"]


async def test_a_conversations_messages_are_served_in_arrival_order_even_when_the_first_is_slower() -> None:
    rooms = ConversationRooms(None, WebChatConfig(), MemoryState(), None, None)  # type: ignore[arg-type]
    served = []

    async def turn(identity, conversation_id, content, *_: object) -> dict:
        await asyncio.sleep(0.2 if content == "first" else 0)  # e.g. a slow Redis round trip
        served.append(content)
        return {"content": content}

    rooms._customer_turn = turn  # type: ignore[method-assign]
    customer = Identity("omar", "customer", "Omar")
    sends = [rooms.customer_message(customer, "c1", text, {}) for text in ("first", "second", "third")]
    other = rooms.customer_message(customer, "c2", "elsewhere", {})
    await asyncio.gather(*sends, other)
    assert [text for text in served if text != "elsewhere"] == ["first", "second", "third"]
    assert served[0] == "elsewhere", "another conversation does not wait"


@pytest.mark.parametrize("value", ["", "a b", "../x", "x" * 129, None, 12])
def test_conversation_ids_are_checked(value: object) -> None:
    with pytest.raises(Exception, match="conversation_id"):
        valid_conversation_id(value)


@pytest.fixture(params=["memory", "redis"])
async def state(request: pytest.FixtureRequest):
    if request.param == "memory":
        yield MemoryState()
        return
    store = RedisState(REDIS_URL, f"wcunit{uuid.uuid4().hex[:8]}")
    await store.redis.ping()
    yield store
    keys = [key async for key in store.redis.scan_iter(f"{store.prefix}:*")]
    if keys:
        await store.redis.delete(*keys)
    await store.close()


async def test_participants_are_one_entry_per_person_across_tabs(state) -> None:
    jane = Identity("jane", "customer", "Jane")
    await state.add_participant("c1", "sid-1", jane)
    await state.add_participant("c1", "sid-2", jane)
    await state.add_participant("c1", "sid-3", Identity("alice", "agent", "Alice"))
    assert sorted(p["id"] for p in await state.participants("c1")) == ["alice", "jane"]
    await state.remove_participant("c1", "sid-1")
    await state.remove_participant("c1", "sid-3")
    assert await state.participants("c1") == [jane.public()]


async def test_the_first_signed_in_customer_owns_a_conversation(state) -> None:
    assert await state.owner("c2") is None
    assert await state.claim_owner("c2", "jane") == "jane"
    assert await state.claim_owner("c2", "mallory") == "jane"


async def test_the_rate_window_admits_the_limit_then_says_how_long_to_wait(state) -> None:
    results = [await state.hit("k", 3, 60.0) for _ in range(5)]
    assert results[:3] == [None, None, None]
    assert all(0 < wait <= 60 for wait in results[3:])


async def test_the_status_swap_returns_the_previous_status(state) -> None:
    assert await state.swap_status("c3", "handed_off") is None
    assert await state.swap_status("c3", "active") == "handed_off"
    assert await state.status("c3") == "active"


async def test_the_memory_rate_window_slides() -> None:
    state = MemoryState()
    assert await state.hit("k", 1, 0.2) is None
    assert await state.hit("k", 1, 0.2) is not None
    await asyncio.sleep(0.25)
    assert await state.hit("k", 1, 0.2) is None


def test_bot_text_is_split_on_blank_lines_into_bubbles_in_order() -> None:
    assert msgs.split_text("First.\n\nSecond.\n\n\n\nThird.") == ["First.", "Second.", "Third."]
    assert msgs.split_text("") == [""]


def test_sentiment_is_a_rough_positive_negative_or_neutral() -> None:
    assert msgs.sentiment("Thanks, that was great!") == "positive"
    assert msgs.sentiment("This is terrible, my parcel arrived damaged!") == "negative"
    assert msgs.sentiment("where is my order 48213") == "neutral"


def test_history_shows_customer_bot_and_agent_messages_with_their_senders() -> None:
    bot = {"id": "bot", "name": "Bot", "role": "bot"}
    customer = {"id": "c", "name": "Customer", "role": "customer"}
    alice = {"id": "alice", "name": "Alice", "role": "agent"}
    events = [
        UserUttered("hi", {"name": "greet", "confidence": 0.9}, timestamp=1_700_000_000),
        BotUttered(
            "Hello!", data={"buttons": [{"title": "Yes", "payload": "/affirm"}]}, timestamp=1_700_000_001
        ),
        BotUttered("Alice here", metadata={msgs.SENDER_KEY: alice}, timestamp=1_700_000_002),
    ]
    history = msgs.history(events, "conv", customer, bot, limit=10)
    assert [(m["content"], m["sender"]["id"], m["message_type"]) for m in history] == [
        ("hi", "c", "text"), ("Hello!", "bot", "quick_replies"), ("Alice here", "alice", "text")]  # fmt: skip
    assert (
        history[0]["ai_metadata"]["intent"] == "greet" and history[0]["created_at"] == "2023-11-14T22:13:20Z"
    )
    assert history[1]["quick_replies"] == [{"content_type": "text", "title": "Yes", "payload": "/affirm"}]
    assert msgs.history(events, "conv", customer, bot, limit=1)[0]["content"] == "Alice here"
