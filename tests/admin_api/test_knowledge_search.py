"""``POST /api/memory/knowledge/search`` over HTTP: ranked passages with relevance and source."""

from __future__ import annotations

import pytest

from tests.admin_api.conftest import Api
from tests.admin_api.server import data

PATH = "/api/memory/knowledge/search"


def test_signed_in_users_get_ranked_passages_with_relevance_and_source(api: Api) -> None:
    for client in (api.customer, api.agent, api.admin):
        found = data(client.post(PATH, {"query": "How do I return an item?", "organizationId": "org123",
                                        "limit": 3}))  # fmt: skip
        results = found["results"]
        assert len(results) == 3 and results[0]["article"] in ("how-to-return", "return-policy")
        first = results[0]
        assert set(first) >= {"id", "title", "content", "relevance", "source", "url"}
        assert first["source"] == "knowledge_base" and first["id"].startswith("kb-")
        assert first["url"] == f"https://help.northwind.example/{first['article']}"
        assert 0.35 <= first["relevance"] <= 1 and "return" in first["content"].lower()


def test_the_default_limit_is_five(api: Api) -> None:
    assert len(data(api.customer.post(PATH, {"query": "shipping costs"}))["results"]) == 5


def test_anonymous_callers_are_refused(api: Api) -> None:
    answer = api.anonymous.post(PATH, {"query": "returns"})
    assert answer.status_code == 401 and answer.json()["success"] is False


@pytest.mark.parametrize("body", [{}, {"query": "   "}, {"query": "x", "limit": 0}, {"query": "x", "limit": 21},
                                  {"query": "x" * 1001}, {"query": 5}, {"query": "x", "extra": 1}])  # fmt: skip
def test_bad_bodies_get_a_422_envelope(api: Api, body: dict) -> None:
    answer = api.customer.post(PATH, body)
    assert answer.status_code == 422 and answer.json()["error"]["code"]
