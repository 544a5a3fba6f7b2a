"""`make run` (scripts/run.sh) as a newcomer starts it: nothing it starts listens beyond
loopback, Rasa's HTTP API refuses calls without the token it generated, CORS is off, and the
demo mailbox receives what the assistant sends."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Iterator, Set

import pytest
import requests

from tests.integration.conftest import ROOT, free_port


def listening_addresses(port: int) -> Set[str]:
    """The local addresses bound to ``port`` in LISTEN state, from /proc/net/tcp{,6}."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1


@pytest.fixture(scope="module")
def make_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    var = tmp_path_factory.mktemp("make-run-var")
    ports = {"RASA_PORT": free_port(), "ACTION_SERVER_PORT": free_port(), "DEMO_SMTP_PORT": free_port(),
             "ADMIN_API_PORT": free_port()}  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "RASA_AUTH_TOKEN",
                                                             "WEBCHAT_JWT_SECRET", "SMTP_URL")}  # fmt: skip
    env.update({k: str(v) for k, v in ports.items()}, ASSISTANT_VAR_DIR=str(var))
    log = (var / "make-run.log").open("w")
    process = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 600
    while "The assistant is running" not in (var / "make-run.log").read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGTERM)
            pytest.fail(f"make run did not start:\n{(var / 'make-run.log').read_text()[-4000:]}")
        time.sleep(1)
    yield {"var": var, "url": f"http://127.0.0.1:{ports['RASA_PORT']}", **ports}
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=60)


def test_every_server_listens_on_loopback_only(make_run: dict) -> None:
    for name in ("RASA_PORT", "ACTION_SERVER_PORT", "DEMO_SMTP_PORT", "ADMIN_API_PORT"):
        addresses = listening_addresses(make_run[name])
        assert addresses and addresses <= LOOPBACK, f"{name} listens on {addresses}"


def test_the_rasa_api_refuses_calls_without_the_generated_token(make_run: dict) -> None:
    url, token_file = make_run["url"], make_run["var"] / "rasa-auth-token"
    assert oct(token_file.stat().st_mode & 0o777) == "0o600"
    token = token_file.read_text().strip()
    assert requests.get(f"{url}/status", timeout=10).status_code == 401
    assert requests.get(f"{url}/conversations/someone/tracker", timeout=10).status_code == 401
    resume = requests.post(
        f"{url}/conversations/someone/tracker/events", json={"event": "resume"}, timeout=10
    )
    assert resume.status_code == 401
    assert requests.get(f"{url}/status", params={"token": "wrong"}, timeout=10).status_code == 401
    assert requests.get(f"{url}/status", params={"token": token}, timeout=10).status_code == 200


def test_browsers_on_other_origins_get_no_cors_grant(make_run: dict) -> None:
    response = requests.get(f"{make_run['url']}/", headers={"Origin": "https://evil.example"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in response.headers


def test_the_demo_mailbox_prints_what_the_assistant_sends(make_run: dict) -> None:
    url = f"{make_run['url']}/webhooks/rest/webhook"
    sender = f"newcomer-{time.time_ns()}"
    for text in ("I forgot my password", "jane.doe@example.com"):
        requests.post(url, json={"sender": sender, "message": text}, timeout=60).raise_for_status()
    deadline = time.monotonic() + 30
    log = make_run["var"] / "make-run.log"
    while "Reset your Northwind password" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert "--- e-mail to jane.doe@example.com: Reset your Northwind password" in log.read_text()


def test_the_admin_api_runs_beside_them_with_the_printed_first_admin(make_run: dict) -> None:
    credentials = make_run["var"] / "admin-credentials"
    assert oct(credentials.stat().st_mode & 0o777) == "0o600"
    email, password = credentials.read_text().split()
    assert f"First admin:    {email} / {password}" in (make_run["var"] / "make-run.log").read_text()
    url = f"http://127.0.0.1:{make_run['ADMIN_API_PORT']}"
    assert requests.get(f"{url}/api/admin/users", timeout=10).status_code == 401
    login = requests.post(f"{url}/api/auth/login", json={"email": email, "password": password}, timeout=30)
    assert login.status_code == 200, login.text
    token = login.json()["data"]["token"]["access_token"]
    users = requests.get(f"{url}/api/admin/users", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert users.status_code == 200 and users.json()["meta"]["summary"]["admins"] == 1
