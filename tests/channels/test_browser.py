"""The web chat page in a real browser: Debian's headless Chromium, driven by Playwright, opens
/webchat (the rasa-webchat widget from the npm registry, served by the web channel), asks a
question, clicks a quick reply, reloads and finds the conversation resumed. Screenshots go to
tests/channels/artifacts/."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Pattern, Union

import pytest
import requests
from playwright.async_api import Browser, Page, expect

from tests.channels.chat import connect, token
from tests.integration.conftest import Server

pytestmark = pytest.mark.integration

TRACKING = "1Z999AA10123456784"


async def say(page: Page, text: str) -> None:
    box = page.locator("textarea.rw-new-message, input.rw-new-message")
    await box.fill(text)
    await box.press("Enter")


async def bot_says(page: Page, text: Union[str, Pattern[str]], timeout: float = 45_000) -> None:
    await page.locator(".rw-response", has_text=text).first.wait_for(timeout=timeout)


async def test_the_page_is_served_with_the_widget_bundle_and_no_cdn(web: Server) -> None:
    page = requests.get(f"{web.url}/webchat", timeout=10)
    assert page.status_code == 200 and 'src="/webchat/rasa-webchat.js"' in page.text
    assert all(
        link.startswith(("/webchat/", "data:")) for link in re.findall(r'(?:src|href)="([^"]*)"', page.text)
    )
    assert (
        "__SOCKET_PATH__" not in page.text and "default-src 'self'" in page.headers["Content-Security-Policy"]
    )
    bundle = requests.get(f"{web.url}/webchat/rasa-webchat.js", timeout=10)
    assert bundle.status_code == 200 and "session_request" in bundle.text
    assert requests.get(f"{web.url}/webchat/..%2Fpackage.json", timeout=10).status_code == 404


async def test_a_visitor_chats_in_a_real_browser_clicks_a_quick_reply_and_resumes_after_a_reload(
    web: Server, browser: Browser, artifacts: Path
) -> None:
    page = await browser.new_page(viewport={"width": 900, "height": 900})
    console: list = []
    page.on("console", lambda message: console.append(message.text))
    try:
        await page.goto(f"{web.url}/webchat")
        await bot_says(page, "help")  # the greeting answering initPayload /greet, with the main topics
        for topic in ("Track an order", "Return an item", "Billing question", "Talk to a person"):
            await expect(page.locator(".rw-reply", has_text=topic).first).to_be_visible()
        await page.locator(".rw-reply", has_text="Track an order").first.click()
        await bot_says(page, "order number")
        await say(page, "48213")
        await bot_says(page, "postcode")
        await say(page, "62701")
        await bot_says(page, TRACKING)
        await say(page, "I want to leave feedback")
        await bot_says(page, "rate")
        await page.locator(".rw-reply", has_text="5").first.click()
        await bot_says(page, "5/5")
        await page.screenshot(path=str(artifacts / "webchat-conversation.png"), full_page=True)
        session = json.loads(await page.evaluate("localStorage.getItem('chat_session')"))
        session_id = session["session_id"]
        conversation, _, key = session_id.partition("~")
        assert len(key) == 32, "the widget keeps the conversation's access key in its session id"

        await page.reload()
        await bot_says(page, "5/5", timeout=20_000)  # the conversation is still on the page
        # No number, no postcode: the bot remembers 48213 and that this visitor gave its postcode.
        await say(page, "where is my order")
        tracked = page.locator(".rw-response", has_text=TRACKING)
        await expect(tracked).to_have_count(2, timeout=45_000)
        again = json.loads(await page.evaluate("localStorage.getItem('chat_session')"))
        assert again["session_id"] == session_id, "the widget resumed its session"
        await page.screenshot(path=str(artifacts / "webchat-after-reload.png"), full_page=True)
    except Exception:
        await page.screenshot(path=str(artifacts / "webchat-failure.png"), full_page=True)
        (artifacts / "webchat-console.log").write_text("\n".join(console))
        raise
    finally:
        await page.close()

    agent = await connect(web.url, "alice", role="agent")
    try:
        history = (await agent.join(conversation))["messages"]
    finally:
        await agent.close()
    said = [m["content"] for m in history if m["sender"]["role"] == "customer"]
    assert said == [
        "/greet",
        "/order_status",
        "48213",
        "62701",
        "I want to leave feedback",
        '/inform{"rating": "5"}',
        "where is my order",
    ]


async def test_a_signed_in_customer_sees_their_order_without_further_questions(
    web: Server, browser: Browser, artifacts: Path
) -> None:
    page = await browser.new_page(viewport={"width": 900, "height": 900})
    try:
        await page.goto(f"{web.url}/webchat#token={token('customer-1', ttl=600)}")
        await bot_says(page, re.compile("help|Welcome back, Jane"))  # she may have chatted in an earlier test
        assert "token" not in page.url, "the token is taken out of the address bar"
        await say(page, "where is my order 48213?")
        await bot_says(page, TRACKING)
        await page.screenshot(path=str(artifacts / "webchat-signed-in.png"), full_page=True)
    except Exception:
        await page.screenshot(path=str(artifacts / "webchat-signed-in-failure.png"), full_page=True)
        raise
    finally:
        await page.close()
