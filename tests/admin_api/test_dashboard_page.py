"""The dashboard page at /admin in a real browser (Debian's headless Chromium driven by
Playwright): an admin signs in with the admin API's login, and every chart holds the numbers of
the hand-computed fixture (tests/assistant/analytics_fixture.py), read both from the Chart.js
chart itself and from the table beside it. Screenshots go to tests/admin_api/artifacts/."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, List

import pytest
import requests
from playwright.async_api import Browser, Page

from tests.admin_api.conftest import ADMIN_EMAIL, AGENT_EMAIL, PASSWORD, Api, create_tracker_engine
from tests.assistant import analytics_fixture as fx

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PAGE = "/admin?from=2026-03-27&to=2026-03-30&tz=Europe/Berlin"
# What each chart must show (worked out in tests/assistant/test_analytics.py).
CHARTS: Dict[str, Dict[str, Any]] = {
    "days": {"labels": fx.days(fx.FIRST_DAY, 4), "values": [[1, 0, 1, 1], [0, 1, 0, 1], [100, 0, 100, 50]]},
    "intents": {
        "labels": ["order_status", "human_handoff", "nlu_fallback", "thanks"],
        "values": [[4, 2, 1, 1]],
    },
    "channels": {"labels": ["web", "whatsapp"], "values": [[2, 1], [1, 1]]},
    "csat": {"labels": ["1", "2", "3", "4", "5"], "values": [[0, 1, 0, 1, 1]]},
    "queue": {"labels": ["urgent", "high", "normal", "low"], "values": [[0, 0, 1, 0]]},
}


@pytest.fixture(scope="module")
def loaded(api: Api, dashboard_dist: Path) -> Api:
    tracker = create_tracker_engine(api.settings)
    fx.load(api.store.engine, tracker)
    tracker.dispose()
    ARTIFACTS.mkdir(exist_ok=True)
    return api


def test_the_page_and_its_files_come_from_this_server_under_a_strict_policy(loaded: Api) -> None:
    page = requests.get(f"{loaded.url}/admin", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self';" in policy and "unsafe" not in policy
    links = re.findall(r'(?:src|href)="([^"]*)"', page.text)
    assert links and all(link.startswith(("/admin/assets/", "data:")) for link in links), links
    assert "<script>" not in page.text and "style=" not in page.text  # nothing inline
    bundle = requests.get(f"{loaded.url}/admin/assets/chart.umd.min.js", timeout=10)
    assert (
        bundle.status_code == 200
        and "javascript" in bundle.headers["Content-Type"]
        and "Chart" in bundle.text
    )
    for bad in ("..%2Fpackage.json", "index.html", "nothing.js"):
        answer = requests.get(f"{loaded.url}/admin/assets/{bad}", timeout=10)
        assert answer.status_code == 404 and answer.json()["success"] is False


async def sign_in(page: Page, url: str, email: str) -> None:
    await page.goto(f"{url}{PAGE}")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("#signin-form button[type=submit]")


async def chart(page: Page, name: str) -> Dict[str, Any]:
    """What the Chart.js chart on the canvas holds, and whether it painted anything."""
    return await page.evaluate(
        """(name) => {
            const canvas = document.getElementById('chart-' + name);
            const chart = window.Chart.getChart(canvas);
            const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) painted++; }
            return {labels: chart.data.labels, values: chart.data.datasets.map(d => d.data), painted,
                    attributes: {labels: JSON.parse(canvas.dataset.labels), values: JSON.parse(canvas.dataset.values)}};
        }""",
        name,
    )


async def table(page: Page, name: str) -> List[List[str]]:
    return await page.evaluate(
        """(name) => [...document.querySelectorAll('table[data-table="' + name + '"] tr')]
                .map(tr => [...tr.children].map(cell => cell.textContent))""",
        name,
    )


async def test_an_admin_signs_in_and_every_chart_shows_the_fixture(loaded: Api, browser: Browser) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 1000})
    problems: List[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on(
        "request",
        lambda r: None
        if r.url.startswith(loaded.url) or r.url.startswith("data:")
        else problems.append(r.url),
    )
    name = "dashboard-" + (
        "postgresql" if loaded.settings.database_url.startswith("postgresql") else "sqlite"
    )
    try:
        await sign_in(page, loaded.url, ADMIN_EMAIL)
        await page.wait_for_selector("body[data-state=ready]", timeout=20_000)
        for chart_name, expected in CHARTS.items():
            drawn = await chart(page, chart_name)
            shown = {"labels": drawn["labels"], "values": drawn["values"]}
            assert shown == expected, chart_name
            assert drawn["attributes"] == expected and drawn["painted"] > 500, chart_name
        assert (await table(page, "days"))[1:] == [
            ["2026-03-27", "1", "1", "0", "100.0 %"], ["2026-03-28", "1", "0", "1", "0.0 %"],
            ["2026-03-29", "1", "1", "0", "100.0 %"], ["2026-03-30", "2", "1", "1", "50.0 %"]]  # fmt: skip
        assert (await table(page, "intents"))[1] == ["order_status", "4", "100.0 %"]
        assert (await table(page, "channels"))[1:] == [
            ["web", "3", "2", "1", "66.7 %"],
            ["whatsapp", "2", "1", "1", "50.0 %"],
        ]
        assert (await table(page, "csat"))[-1] == ["Average", "3.67"]
        assert (await table(page, "queue"))[1] == ["Waiting for an agent", "1"]
        tiles = await page.evaluate(
            "Object.fromEntries([...document.querySelectorAll('.tile')].map(t => [t.dataset.figure, t.querySelector('.value').textContent]))"
        )
        assert (tiles["total_conversations"], tiles["containment_rate"], tiles["fallback_rate"]) == (
            "5",
            "60.0 %",
            "25.0 %",
        )
        assert (
            tiles["avg_response_time"],
            tiles["avg_resolution_time"],
            tiles["avg_satisfaction_score"],
        ) == ("4.8 s", "32.5 min", "3.67")
        assert await page.text_content("#period") == "2026-03-27 to 2026-03-30 (Europe/Berlin)"
        await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        assert not problems, problems  # no CSP refusal, no script error, nothing from outside
    except Exception:
        await page.screenshot(path=str(ARTIFACTS / f"{name}-failure.png"), full_page=True)
        (ARTIFACTS / f"{name}-console.log").write_text("\n".join(problems))
        raise
    finally:
        await page.close()


async def test_an_agent_is_told_the_page_is_for_admins(loaded: Api, browser: Browser) -> None:
    page = await browser.new_page()
    try:
        await sign_in(page, loaded.url, AGENT_EMAIL)
        alert = page.locator("#error")
        await alert.wait_for(state="visible", timeout=10_000)
        assert "for admins" in (await alert.text_content() or "")
        assert await page.is_hidden("#board")
    finally:
        await page.close()


async def test_a_wrong_password_is_refused_on_the_page(loaded: Api, browser: Browser) -> None:
    page = await browser.new_page()
    try:
        await page.goto(f"{loaded.url}{PAGE}")
        await page.fill("#email", ADMIN_EMAIL)
        await page.fill("#password", "not the password at all")
        await page.click("#signin-form button[type=submit]")
        await page.locator("#error").wait_for(state="visible", timeout=10_000)
        assert (
            await page.is_hidden("#board")
            and json.loads(await page.evaluate("JSON.stringify(document.body.dataset.state)")) == "signed-out"
        )
    finally:
        await page.close()
