"""The channel's parts on their own, without a server: signatures, reading every documented
payload, masking at entry, WhatsApp message shapes, Meta's error codes, settings."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest

from assistant.settings import ConfigError, Settings
from channels.errors import ConfigurationError
from channels.rest_body import SENDER
from channels.whatsapp import texts
from channels.whatsapp.channel import WhatsAppInput
from channels.whatsapp.conversation import conversation_id, wa_id_from_phone, wa_id_of
from channels.whatsapp.handling import handling_of
from channels.whatsapp.inbound import NotAWebhook, read_notification
from channels.whatsapp.meta_errors import GraphFailure, Remedy, remedy_for
from channels.whatsapp.outgoing import button_drafts, custom_draft, drafts_for, split_text
from channels.whatsapp.signature import challenge_answer, sign, signature_ok
from tests.channels.whatsapp.payloads import MESSAGE_TYPES, PHONE_NUMBER_ID, STATUS_TYPES, load, new_wa_id

CARD = "4111 1111 1111 1111"
LUHN_MEDIA_ID = "4111111111111111"  # a media id is a long number; it must never be masked


# --- who may call ------------------------------------------------------------------------------


def test_a_signature_is_the_hmac_of_the_raw_body_with_the_app_secret() -> None:
    raw = json.dumps(load("text")).encode()
    header = sign("secret", raw)
    assert header.startswith("sha256=") and signature_ok("secret", raw, header)
    assert signature_ok("secret", raw, header.upper().replace("SHA256=", "sha256="))
    assert not signature_ok("other", raw, header)
    assert not signature_ok("secret", raw + b" ", header)
    assert not signature_ok("secret", raw, header[7:]) and not signature_ok("secret", raw, None)


@pytest.mark.parametrize(
    "args, answer",
    [({"hub.mode": "subscribe", "hub.verify_token": "tok", "hub.challenge": "1158201444"}, "1158201444"),
     ({"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"}, None),
     ({"hub.mode": "unsubscribe", "hub.verify_token": "tok", "hub.challenge": "1"}, None),
     ({"hub.mode": "subscribe", "hub.verify_token": "tok"}, None), ({}, None)],
)  # fmt: skip
def test_verification_echoes_the_challenge_only_for_our_token(args: Dict[str, str], answer: Any) -> None:
    assert challenge_answer("tok", args) == answer


# --- reading what Meta sends -------------------------------------------------------------------

EXPECTED = {  # type -> (text for Rasa, the channel's own reply, silent)
    "text": ("hello", None, False),
    "interactive_button_reply": ("/greet", None, False),
    "interactive_list_reply": ("/greet", None, False),
    "button": ("/greet", None, False),
    "image": ("hello", None, False),
    "image_without_caption": (None, texts.media_received("image"), False),
    "audio_voice": (None, None, False),
    "video": (None, texts.media_received("video"), False),
    "document": (None, texts.media_received("document"), False),
    "sticker": (None, texts.media_received("sticker"), False),
    "location": (None, texts.LOCATION_RECEIVED, False),
    "contacts": (None, texts.CONTACTS_RECEIVED, False),
    "reaction": (None, None, True),
    "unsupported": (None, texts.UNSUPPORTED, False),
    "unknown_legacy": (None, texts.UNSUPPORTED, False),
}


@pytest.mark.parametrize("name", MESSAGE_TYPES)
def test_every_documented_message_type_is_understood(name: str) -> None:
    wa_id = new_wa_id()
    notification = read_notification(load(name, WA_ID=wa_id), PHONE_NUMBER_ID)
    [message] = notification.messages
    assert message.conversation_id == f"whatsapp:{wa_id}" and message.profile_name == "Sheena Nelson"
    handling = handling_of(message.kind, message.message)
    assert (handling.text, handling.reply, handling.silent) == EXPECTED[name]
    assert handling.transcribe is (name == "audio_voice")
    if name in ("image", "image_without_caption", "audio_voice", "video", "document", "sticker"):
        assert handling.media and handling.media["id"] == message.message[message.kind]["id"]


@pytest.mark.parametrize("name", STATUS_TYPES)
def test_statuses_are_read_with_their_error_and_are_not_messages(name: str) -> None:
    notification = read_notification(load(name, WA_ID="15551234567", WAMID="wamid.X1"), PHONE_NUMBER_ID)
    assert notification.messages == []
    [status] = notification.statuses
    assert status.wamid == "wamid.X1" and status.status == name.split("_")[1]
    assert (status.error or {}).get("code") == (131047 if name == "status_failed" else None)


def test_card_numbers_are_masked_at_entry_but_ids_are_not() -> None:
    body = load("image", TEXT=f"my card {CARD} was charged twice", MEDIA_ID=LUHN_MEDIA_ID)
    [message] = read_notification(body, PHONE_NUMBER_ID).messages
    handling = handling_of(message.kind, message.message)
    assert handling.text == "my card [REDACTED CARD] was charged twice"
    assert CARD not in json.dumps(message.message) and message.message["image"]["id"] == LUHN_MEDIA_ID
    [text] = read_notification(load("text", TEXT=f"card {CARD}"), PHONE_NUMBER_ID).messages
    assert handling_of("text", text.message).text == "card [REDACTED CARD]"


def test_other_numbers_fields_and_malformed_parts_are_skipped_not_trusted() -> None:
    body = load("text")
    body["entry"][0]["changes"].append(
        {"field": "message_template_status_update", "value": {"event": "APPROVED"}}
    )
    body["entry"].append(load("text", PHONE_NUMBER_ID="999")["entry"][0])
    broken = load("text")["entry"][0]["changes"][0]
    broken["value"]["messages"][0]["from"] = "+1 555 not a number"
    body["entry"][0]["changes"].append(broken)
    notification = read_notification(body, PHONE_NUMBER_ID)
    assert len(notification.messages) == 1 and notification.skipped == 3


@pytest.mark.parametrize("body", [None, [], "text", {"object": "page", "entry": []}, {"entry": []}])
def test_a_body_that_is_not_a_whatsapp_notification_is_refused(body: Any) -> None:
    with pytest.raises(NotAWebhook):
        read_notification(body, PHONE_NUMBER_ID)


def test_the_conversation_id_fits_every_channels_sender_alphabet() -> None:
    assert conversation_id("15551234567") == "whatsapp:15551234567"
    assert SENDER.match(conversation_id("15551234567")) and not SENDER.match("whatsapp:+15551234567")
    assert wa_id_of("whatsapp:15551234567") == "15551234567" and wa_id_of("rest:155512345") is None
    assert wa_id_from_phone("+1 (555) 123-4567") == wa_id_from_phone("whatsapp:15551234567") == "15551234567"
    assert wa_id_from_phone("+0 12") is None and wa_id_from_phone("call me") is None


# --- what we send --------------------------------------------------------------------------------


def buttons(count: int, title: str = "Option") -> List[Dict[str, str]]:
    return [{"title": f"{title} {i}", "payload": f"/choice{i}"} for i in range(count)]


def test_text_is_split_at_whatsapps_limit_on_word_boundaries() -> None:
    text = ("word " * 2000).strip()
    parts = split_text(text)
    assert all(len(p) <= 4096 for p in parts) and " ".join(parts) == text and len(parts) == 3
    assert [len(p) for p in split_text("x" * 9000)] == [4096, 4096, 808]
    drafts = drafts_for({"text": "y" * 5000})
    assert [d.kind for d in drafts] == ["text", "text"]


def test_up_to_three_buttons_are_reply_buttons_that_send_the_payload_back() -> None:
    [draft] = button_drafts("Cancel it?", buttons(3))
    interactive = draft.body["interactive"]  # type: ignore[index]
    assert interactive["type"] == "button" and interactive["body"]["text"] == "Cancel it?"
    assert [b["reply"]["id"] for b in interactive["action"]["buttons"]] == [
        "/choice0",
        "/choice1",
        "/choice2",
    ]


@pytest.mark.parametrize("count, lists", [(4, 1), (10, 1), (11, 2), (23, 3)])
def test_more_buttons_become_lists_of_at_most_ten_rows(count: int, lists: int) -> None:
    drafts = button_drafts("Pick one", buttons(count))
    assert len(drafts) == lists and all(d.body["interactive"]["type"] == "list" for d in drafts)  # type: ignore[index]
    rows = [r for d in drafts for r in d.body["interactive"]["action"]["sections"][0]["rows"]]  # type: ignore[index]
    assert [r["id"] for r in rows] == [f"/choice{i}" for i in range(count)]


def test_long_titles_or_bodies_use_a_list_and_nothing_exceeds_metas_limits() -> None:
    [draft] = button_drafts("Short", buttons(2, title="A much longer option title"))
    row = draft.body["interactive"]["action"]["sections"][0]["rows"][0]  # type: ignore[index]
    assert len(row["title"]) <= 24 and row["description"] == "A much longer option title 0"
    [draft] = button_drafts("b" * 2000, buttons(2))
    assert draft.body["interactive"]["type"] == "list"  # type: ignore[index]
    drafts = button_drafts("c" * 5000, buttons(2))
    assert [d.kind for d in drafts] == ["text", "interactive"]


def test_custom_payloads_go_out_as_given_or_are_recorded_as_not_sendable() -> None:
    template = {"template": {"name": "order_update", "language": {"code": "en_US"}}}
    assert custom_draft(template).body == {"type": "template", **template}
    given = {"whatsapp": {"type": "location", "location": {"latitude": 1, "longitude": 2}}}
    assert custom_draft(given).body == given["whatsapp"]
    assert custom_draft({"webchat_only": True}).body is None
    kinds = [d.kind for d in drafts_for({"image": "https://x.example/a.png"})]
    kinds += [d.kind for d in drafts_for({"attachment": "https://x.example/label.pdf"})]
    assert kinds == ["image", "document"]


# --- Meta's errors, settings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "code, status, remedy",
    [(130429, 400, Remedy.RETRY), (131000, 500, Remedy.RETRY), (None, 503, Remedy.RETRY), (None, None, Remedy.RETRY),
     (131056, 400, Remedy.PACE), (131047, 400, Remedy.REENGAGE), (190, 401, Remedy.AUTH), (10, 403, Remedy.AUTH),
     (131026, 400, Remedy.FAIL), (100, 400, Remedy.FAIL), (132001, 404, Remedy.FAIL)],
)  # fmt: skip
def test_each_documented_error_has_its_remedy(code: Any, status: Any, remedy: Remedy) -> None:
    assert remedy_for(code, status) is remedy


def test_a_graph_error_answer_is_read_as_meta_documents_it() -> None:
    answer = {"error": {"message": "(#130429) Rate limit hit", "type": "OAuthException", "code": 130429,
                        "error_data": {"messaging_product": "whatsapp", "details": "throughput reached"},
                        "fbtrace_id": "Az8or2yhqkZfEZ"}}  # fmt: skip
    failure = GraphFailure.from_answer(400, answer)
    assert failure.record() == {"code": 130429, "title": "(#130429) Rate limit hit", "details": "throughput reached",
                                "http_status": 400, "fbtrace_id": "Az8or2yhqkZfEZ"}  # fmt: skip
    assert GraphFailure.from_answer(502, "<html>").remedy is Remedy.RETRY


def test_the_server_starts_without_whatsapp_and_secrets_never_show_in_logs() -> None:
    assert not Settings.from_env({}).whatsapp.configured
    env = {"WHATSAPP_APP_SECRET": "s3cr3t-app", "WHATSAPP_VERIFY_TOKEN": "v", "WHATSAPP_ACCESS_TOKEN": "t0ken",
           "WHATSAPP_PHONE_NUMBER_ID": "1", "WHATSAPP_GRAPH_BASE_URL": "http://127.0.0.1:9/"}  # fmt: skip
    settings = Settings.from_env(env)
    assert settings.whatsapp.configured and settings.whatsapp.graph_base_url == "http://127.0.0.1:9"
    assert "s3cr3t-app" not in repr(settings) and "t0ken" not in repr(settings)


@pytest.mark.parametrize(
    "env", [{"WHATSAPP_GRAPH_BASE_URL": "graph.facebook.com"}, {"WHATSAPP_API_VERSION": "23"},
            {"WHATSAPP_SEND_ATTEMPTS": "0"}, {"WHATSAPP_PAIR_PACE_SECONDS": "soon"}],
)  # fmt: skip
def test_unusable_whatsapp_settings_are_refused_with_the_variable_named(env: Dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="WHATSAPP_"):
        Settings.from_env(env)


def test_credentials_yml_holds_no_secrets_for_this_channel() -> None:
    assert WhatsAppInput.from_credentials(None).name() == "whatsapp"
    with pytest.raises(ConfigurationError, match="set the WHATSAPP_\\* environment variables"):
        WhatsAppInput.from_credentials({"access_token": "EAAG..."})
