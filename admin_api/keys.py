"""The HS256 secret of the tokens: ``WEBCHAT_JWT_SECRET`` (the web channel checks customers'
tokens with it), or for the demo one generated once into ``var/webchat-jwt.secret`` (mode 600),
the file scripts/run.sh uses too."""

from __future__ import annotations

import os
import secrets

from assistant.settings import Settings

FILE_NAME = "webchat-jwt.secret"


def jwt_secret(settings: Settings) -> str:
    if settings.jwt_secret:
        return settings.jwt_secret
    path = settings.var_dir / FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(32) + "\n")
    return path.read_text().strip()
