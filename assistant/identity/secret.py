"""The key that signs identity claims between the channels (Rasa server) and the actions
(action server), and anonymous conversations' access keys: ``IDENTITY_SECRET``, or a random
key generated once into ``var/identity.secret`` (readable by its owner only) and shared by every
process that uses the same ``ASSISTANT_VAR_DIR``."""

from __future__ import annotations

import os
import secrets
import time
from functools import lru_cache
from pathlib import Path

from assistant.settings import Settings


def identity_secret(settings: Settings) -> bytes:
    if settings.identity_secret:
        return settings.identity_secret.encode()
    return _file_secret(settings.var_dir / "identity.secret")


@lru_cache(maxsize=8)
def _file_secret(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_when_written(path)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(32))
    return path.read_text().strip().encode()


def _read_when_written(path: Path) -> bytes:
    """Another process may have created the file a moment ago and not written it yet."""
    for _ in range(50):
        text = path.read_text().strip()
        if text:
            return text.encode()
        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty: delete it so that a new identity key is generated")
