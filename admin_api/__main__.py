"""``python -m admin_api``: serves the admin API on ``ADMIN_API_HOST``:``ADMIN_API_PORT``
(127.0.0.1:8080 unless told otherwise)."""

from __future__ import annotations

import logging

from admin_api.app import create_app
from assistant.settings import get_settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    app = create_app(settings, name="northwind_admin_api")
    app.run(host=settings.admin_api_host, port=settings.admin_api_port, access_log=False, workers=1)


if __name__ == "__main__":
    main()
