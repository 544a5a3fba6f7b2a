"""The e-mail channel end to end: dovecot's mailbox in, a real Rasa server and action server,
replies read back from a real SMTP server."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests.channels.chat import token
from tests.channels.email.conftest import SmtpInbox
from tests.channels.email.dovecot import Dovecot
from tests.channels.email.helpers import conversation_of, customer, message_id, post, query, user_turns
from tests.channels.email.mail import bounce, customer_mail, new_id
from tests.integration.conftest import Server

pytestmark = pytest.mark.integration
SUPPORT = "support@northwind.example"


def test_a_three_message_thread_stays_one_conversation(
    email_server: Server, dovecot: Dovecot, smtp: tuple, pg_database: str
) -> None:
    received: SmtpInbox = smtp[0]
    sender, first = customer(), new_id()
    dovecot.append(SUPPORT, customer_mail(sender, "Order question", "Where is my order?", message_id=first))
    received.wait(lambda: len(received.to(sender)) == 1)
    [reply1] = received.to(sender)
    assert reply1["Subject"] == "Re: Order question" and reply1["Auto-Submitted"] == "auto-replied"
    assert reply1["In-Reply-To"] == f"<{first}>" and f"<{first}>" in reply1["References"]
    assert reply1.get_content_type() == "multipart/alternative"
    second = new_id()
    dovecot.append(SUPPORT, customer_mail(sender, "Re: Order question", "It is order 10003, thanks",
                                          message_id=second, in_reply_to=message_id(reply1),
                                          references=[first, message_id(reply1)]))  # fmt: skip
    received.wait(lambda: len(received.to(sender)) == 2)
    reply2 = received.to(sender)[1]
    assert f"<{message_id(reply1)}>" in reply2["References"] and reply2["In-Reply-To"] == f"<{second}>"
    assert "> It is order 10003, thanks" in reply2.get_body(("plain",)).get_content()
    third = new_id()  # a client that keeps only the subject
    dovecot.append(SUPPORT, customer_mail(sender, "RE: Order question", "hello again", message_id=third))
    received.wait(lambda: len(received.to(sender)) == 3)
    conversation = conversation_of(pg_database, first)
    assert conversation_of(pg_database, second) == conversation_of(pg_database, third) == conversation
    assert len(user_turns(pg_database, conversation)) == 3
    time.sleep(1)
    assert not dovecot.unseen(SUPPORT), "every answered message is flagged \\Seen"


def test_an_auto_reply_and_a_bounce_get_no_answer_and_the_bounce_is_recorded(
    email_server: Server, dovecot: Dovecot, smtp: tuple, pg_database: str
) -> None:
    received: SmtpInbox = smtp[0]
    sender, asked = customer(), new_id()
    dovecot.append(SUPPORT, customer_mail(sender, "Hello", "Do you ship to Norway?", message_id=asked))
    received.wait(lambda: len(received.to(sender)) == 1)
    [reply] = received.to(sender)
    vacation, robot, marker = customer(), customer(), customer()
    dovecot.append(
        SUPPORT,
        customer_mail(vacation, "Out of office", "I am away", headers={"Auto-Submitted": "auto-replied"}),
        customer_mail(
            robot, "Newsletter", "Deals!", headers={"Precedence": "bulk", "List-Id": "<deals.example>"}
        ),
        bounce(message_id(reply), sender),
        customer_mail(marker, "Question", "What are your opening hours?"),
    )
    received.wait(lambda: len(received.to(marker)) == 1)
    time.sleep(2)
    assert received.to(vacation) == [] and received.to(robot) == [] and len(received.to(sender)) == 1
    assert not [m for m in received.messages if "mailer-daemon" in str(m["To"]).lower()]
    rows = query(pg_database, "SELECT conversation_id, recipient, status FROM email_bounces WHERE "
                 "original_message_id = %s", message_id(reply))  # fmt: skip
    assert rows == [(conversation_of(pg_database, asked), sender, "5.1.1")]
    reasons = query(pg_database, "SELECT address, status, reason FROM email_messages WHERE address IN (%s, %s)",
                    vacation, robot)  # fmt: skip
    assert sorted(reasons) == sorted(
        [(vacation, "ignored", "auto_submitted"), (robot, "ignored", "precedence")]
    )
    assert not dovecot.unseen(SUPPORT), "ignored and bounced messages are flagged too"


def test_the_listener_is_stopped_and_started_by_admins_only(
    email_server: Server, dovecot: Dovecot, smtp: tuple
) -> None:
    received: SmtpInbox = smtp[0]
    assert post(email_server.url, "/listener/stop", role="").status_code == 401
    assert post(email_server.url, "/listener/stop", role="agent").status_code == 403
    stopped = post(email_server.url, "/listener/stop")
    assert stopped.status_code == 200 and stopped.json()["status"] == "stopped"
    sender = customer()
    dovecot.append(SUPPORT, customer_mail(sender, "While stopped", "Is anyone there?"))
    time.sleep(3)
    assert received.to(sender) == [] and dovecot.unseen(SUPPORT)
    started = post(email_server.url, "/listener/start")
    assert started.status_code == 200 and started.json()["message"] == "Email listener has been started"
    received.wait(lambda: len(received.to(sender)) == 1)


def test_process_injects_an_email_that_is_answered_once(
    email_server: Server, smtp: tuple, pg_database: str
) -> None:
    received: SmtpInbox = smtp[0]
    sender, mail_id = customer(), new_id()
    body = {"from": sender, "subject": "Returns", "text": "How do I return an item?", "messageId": mail_id,
            "attachments": [{"name": "photo.jpg", "type": "image/jpeg", "size": 120}]}  # fmt: skip
    first = post(email_server.url, "/process", body, role="agent")
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "processed" and first.json()["reply"]
    again = post(email_server.url, "/process", body, role="agent")
    assert again.status_code == 200 and again.json()["conversationId"] == first.json()["conversationId"]
    received.wait(lambda: len(received.to(sender)) == 1)
    time.sleep(1.5)
    assert len(received.to(sender)) == 1, "the same Message-ID is answered once"
    [details] = query(pg_database, "SELECT details FROM email_messages WHERE message_id = %s", mail_id)[0]
    assert details["attachments"] == [{"name": "photo.jpg", "content_type": "image/jpeg", "size": 120}]
    assert post(email_server.url, "/process", {"from": "not an address"}, role="agent").status_code == 400
    assert post(email_server.url, "/process", body, role="").status_code == 401


def test_send_writes_in_a_conversation_s_thread(email_server: Server, smtp: tuple) -> None:
    received: SmtpInbox = smtp[0]
    sender = customer()
    processed = post(email_server.url, "/process", {"from": sender, "subject": "Refund", "text": "Refund status?"},
                     role="agent").json()  # fmt: skip
    received.wait(lambda: len(received.to(sender)) == 1)
    sent = post(email_server.url, "/send", {"threadId": processed["conversationId"], "text": "An agent here: "
                "your refund is on its way."}, role="agent")  # fmt: skip
    assert sent.status_code == 200 and sent.json()["status"] == "sent", sent.text
    received.wait(lambda: len(received.to(sender)) == 2)
    agent_mail = received.to(sender)[1]
    assert agent_mail["In-Reply-To"] and agent_mail["Subject"] == "Re: Refund"
    assert f"<{sent.json()['messageId']}>" == agent_mail["Message-ID"]
    via_model = requests.post(f"{email_server.url}/webhooks/email/conversations/{processed['conversationId']}/messages",
                              json={"content": "One more thing from the agent."},
                              headers={"Authorization": f"Bearer {token('agent-7', 'agent')}"}, timeout=60)  # fmt: skip
    assert via_model.status_code == 201 and via_model.json()["data"]["status"] == "sent", via_model.text
    received.wait(lambda: len(received.to(sender)) == 3)
    assert "One more thing from the agent." in received.to(sender)[2].get_body(("plain",)).get_content()
    fresh = customer()
    body = {
        "to": fresh,
        "subject": "Your order",
        "text": "It shipped.",
        "replyTo": "orders@northwind.example",
    }
    new = post(email_server.url, "/send", body, role="agent")
    assert new.status_code == 200 and new.json()["status"] == "sent"
    received.wait(lambda: len(received.to(fresh)) == 1)
    assert received.to(fresh)[0]["Reply-To"] == "orders@northwind.example"
    assert post(email_server.url, "/send", {"text": "no recipient"}, role="agent").status_code == 400


def test_the_sender_address_is_only_claimed_so_guarded_actions_ask_for_the_code(
    email_server: Server, pg_database: str
) -> None:
    before = query(pg_database, "SELECT count(*) FROM outbound_emails WHERE to_address = 'jane.doe@example.com' "
                   "AND kind = 'verification_code'")[0][0]  # fmt: skip
    answer = post(email_server.url, "/process", {"from": "jane.doe@example.com", "subject": "Cancel",
                  "text": "I want to cancel order 10001"}, role="agent").json()  # fmt: skip
    assert "6-digit code" in answer["reply"], answer
    after = query(pg_database, "SELECT count(*) FROM outbound_emails WHERE to_address = 'jane.doe@example.com' "
                  "AND kind = 'verification_code'")[0][0]  # fmt: skip
    assert after == before + 1, "the code goes to the address on file"
    assert query(pg_database, "SELECT status FROM orders WHERE id = 10001") == [("processing",)]
    [data] = user_turns(pg_database, answer["conversationId"])
    claim = json.loads(data)["metadata"]["northwind_identity"]
    assert claim["level"] == "claimed" and claim["method"] == "sender_address" and claim["customer_id"] == 1
