from __future__ import annotations

from pathlib import Path

import pytest

from assistant.settings import ConfigError, Settings


def test_defaults_run_on_a_bare_machine(tmp_path: Path) -> None:
    settings = Settings.from_env({"ASSISTANT_VAR_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'store.db'}"
    assert settings.tracker_store_url == f"sqlite:///{tmp_path / 'tracker.db'}"
    assert settings.redis_url is None


def test_postgres_holds_both_the_tracker_and_the_business_data() -> None:
    url = "postgresql://app:secret@db:5432/support"
    settings = Settings.from_env({"DATABASE_URL": url, "REDIS_URL": "redis://cache:6379/1"})
    assert settings.tracker_store_url == url and settings.redis_url == "redis://cache:6379/1"


@pytest.mark.parametrize(
    "env, message",
    [({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"), ({"REDIS_URL": "http://x"}, "REDIS_URL"),
     ({"RETURN_WINDOW_DAYS": "thirty"}, "RETURN_WINDOW_DAYS"), ({"TURN_TIMEOUT_SECONDS": "soon"}, "TURN_TIMEOUT_SECONDS"),
     ({"STORE_RETRY_SECONDS": "0"}, "STORE_RETRY_SECONDS"), ({"REST_MAX_MESSAGE_CHARS": "-1"}, "REST_MAX_MESSAGE_CHARS"),
     ({"STORE_RETRY_SECONDS": "20", "TURN_TIMEOUT_SECONDS": "10"}, "shorter than TURN_TIMEOUT_SECONDS")],
)  # fmt: skip
def test_unusable_values_are_refused_with_the_variable_named(env: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_reliability_defaults_bridge_a_restart_within_a_turns_deadline() -> None:
    settings = Settings.from_env({})
    assert settings.store_retry_seconds < settings.turn_timeout_seconds
    assert settings.retry_after_seconds > 0 and settings.action_server_host == "127.0.0.1"
    assert Settings.from_env({"SANIC_HOST": "127.0.0.1"}).action_server_host == "127.0.0.1"


def test_the_llms_deadline_follows_a_short_turn_deadline_unless_set() -> None:
    assert Settings.from_env(
        {"TURN_TIMEOUT_SECONDS": "3", "STORE_RETRY_SECONDS": "1"}
    ).llm.turn_deadline_seconds == pytest.approx(1.8)
    assert Settings.from_env({}).llm.turn_deadline_seconds == 6.0
    with pytest.raises(ConfigError, match="LLM_TURN_DEADLINE_SECONDS"):
        Settings.from_env(
            {"TURN_TIMEOUT_SECONDS": "3", "STORE_RETRY_SECONDS": "1", "LLM_TURN_DEADLINE_SECONDS": "5"}
        )
