"""The web chat page in headless Chromium while PostgreSQL is down: the message the assistant
could not answer is kept on the page with "Send again"; once the database is back, one click
sends it and the bot answers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.channels.conftest import ARTIFACTS
from tests.channels.test_browser import bot_says, say
from tests.chaos.conftest import ChaosStack

pytestmark = pytest.mark.integration


async def test_an_unanswered_message_stays_on_the_page_to_send_again(
    chaos: ChaosStack,
    browser: Browser,
    webchat_dist: Path,
) -> None:
    page = await browser.new_page(viewport={"width": 900, "height": 900})
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        await page.goto(f"{chaos.rasa.url}/webchat")
        await bot_says(page, "help")
        chaos.postgres.stop()
        try:
            await say(page, "what are your opening hours?")
            banner = page.locator("#unsent")
            await expect(banner).to_be_visible(timeout=30_000)
            await expect(banner).to_contain_text("what are your opening hours?")
            await page.screenshot(path=str(ARTIFACTS / "webchat-unsent.png"), full_page=True)
        finally:
            chaos.postgres.start()
        deadline = time.monotonic() + 30
        while not chaos.postgres.is_up() and time.monotonic() < deadline:
            time.sleep(0.2)
        await page.locator("#unsent button").click()
        await expect(page.locator("#unsent")).to_be_hidden()
        await bot_says(page, "Monday")
        await page.screenshot(path=str(ARTIFACTS / "webchat-sent-again.png"), full_page=True)
    finally:
        await page.close()
