"""The demo's mailbox: an SMTP server on loopback that prints every e-mail it receives (so a
newcomer running `make run` without SMTP_URL sees their verification codes and links) and keeps
them in an mbox file. Not for production: configure SMTP_URL there."""

from __future__ import annotations

import argparse
import mailbox
import time
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class PrintingMailbox:
    def __init__(self, path: Path) -> None:
        self.path = path

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        message = message_from_bytes(envelope.content, policy=policy.default)
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        print(f"\n--- e-mail to {message['To']}: {message['Subject']}\n{text.strip()}\n---", flush=True)
        box = mailbox.mbox(str(self.path))
        box.add(message)
        box.close()
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--mbox", type=Path, default=Path("var/mailbox.mbox"))
    args = parser.parse_args()
    controller = Controller(PrintingMailbox(args.mbox), hostname="127.0.0.1", port=args.port)
    controller.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
