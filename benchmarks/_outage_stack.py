"""The production set-up of the outage benchmark (not a benchmark itself): a PostgreSQL cluster
and a Redis of the run's own (tests/chaos/services.py), the seeded store, the action server and
a Rasa server with ``SANIC_WORKERS`` processes, all started from a project directory, so the
same script measures the current code and an older checkout (``--project``)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

import requests

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from tests.chaos.services import EphemeralPostgres, EphemeralRedis, free_port  # noqa: E402


@dataclass
class OutageStack:
    """Everything one outage run starts, and how to stop it again."""

    project: Path
    workers: int = 2
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench-outage-")))
    postgres: EphemeralPostgres = field(default_factory=EphemeralPostgres)
    redis: EphemeralRedis = field(default_factory=EphemeralRedis)
    database_url: str = ""
    rasa_url: str = ""
    processes: List[subprocess.Popen] = field(default_factory=list)

    def env(self) -> Dict[str, str]:
        venv_bin = str(self.project / ".venv" / "bin")
        return {**os.environ, "PYTHONPATH": str(self.project), "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis.url, "REDIS_LOCK_PREFIX": f"b{uuid.uuid4().hex[:8]}",
                "ASSISTANT_VAR_DIR": str(self.workdir), "SANIC_WORKERS": str(self.workers),
                "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "RASA_TELEMETRY_ENABLED": "false",
                "WEBCHAT_DIST_DIR": str(PROJECT_ROOT / "webchat" / "dist"),
                "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}"}  # fmt: skip

    def start(self, model: Path) -> None:
        self.postgres.start()
        self.redis.start()
        self.database_url = self.postgres.create_database("support")
        python = str(self.project / ".venv" / "bin" / "python")
        subprocess.run([python, "-m", "assistant.store.seed"], cwd=self.project, env=self.env(),
                       check=True, capture_output=True, timeout=300)  # fmt: skip
        action_port, rasa_port = free_port(), free_port()
        self._spawn(self._action_command(action_port), "actions.log")
        endpoints = self.workdir / "endpoints.yml"
        endpoints.write_text(
            f"action_endpoint:\n  url: http://127.0.0.1:{action_port}/webhook\n"
            "tracker_store:\n  type: assistant.plugins.tracker_store.RedactingSQLTrackerStore\n"
            "lock_store:\n  type: assistant.plugins.lock_store.ConfiguredLockStore\n"
        )
        model_copy = self.workdir / "model.tar.gz"
        shutil.copy(model, model_copy)
        rasa = str(self.project / ".venv" / "bin" / "rasa")
        self._spawn([rasa, "run", "--enable-api", "--port", str(rasa_port), "--model", str(model_copy),
                     "--endpoints", str(endpoints), "--credentials", str(self.project / "credentials.yml")],
                    "rasa.log")  # fmt: skip
        self.rasa_url = f"http://127.0.0.1:{rasa_port}"
        self._wait(f"http://127.0.0.1:{action_port}/health")
        self._wait(f"{self.rasa_url}/status")

    def _action_command(self, port: int) -> List[str]:
        """Our launcher when the project has one (health, failure reporting), else rasa-sdk's."""
        if (self.project / "assistant" / "action_server.py").exists():
            python = str(self.project / ".venv" / "bin" / "python")
            return [python, "-m", "assistant.action_server", "--actions", "actions", "--port", str(port)]
        rasa = str(self.project / ".venv" / "bin" / "rasa")
        return [rasa, "run", "actions", "--actions", "actions", "--port", str(port)]

    def _spawn(self, command: List[str], log: str) -> None:
        handle = (self.workdir / log).open("w")
        process = subprocess.Popen(command, cwd=self.project, env=self.env(), stdout=handle,
                                   stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        self.processes.append(process)

    def _wait(self, url: str, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.processes):
                raise RuntimeError(f"a server exited; logs in {self.workdir}")
            try:
                if requests.get(url, timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{url} not up in {timeout}s; logs in {self.workdir}")

    def log_errors(self) -> Dict[str, int]:
        """Lines with ERROR or Traceback in each server log."""
        counts = {}
        for log in ("rasa.log", "actions.log"):
            text = (self.workdir / log).read_text(errors="replace")
            counts[log] = sum(1 for line in text.splitlines() if "ERROR" in line or "Traceback" in line)
        return counts

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.redis.stop()
        self.postgres.destroy()
        (self.workdir / "model.tar.gz").unlink(missing_ok=True)  # the logs stay

    def outage(self, kind: str) -> None:
        """Kills Redis (SIGKILL) or stops PostgreSQL immediately."""
        if kind == "redis":
            self.redis.kill()
        else:
            self.postgres.stop("immediate")

    def recover(self, kind: str) -> None:
        if kind == "redis":
            self.redis.start()
        else:
            self.postgres.start()


def started(project: Path, model: Path, workers: int) -> OutageStack:
    stack = OutageStack(project=project, workers=workers)
    try:
        stack.start(model)
    except BaseException:
        stack.stop()
        raise
    return stack


__all__ = ["OutageStack", "started", "PROJECT_ROOT"]
