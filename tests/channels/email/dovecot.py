"""A real IMAP server for the tests: Debian's dovecot (``dovecot-imapd``), started from a
configuration of its own in a temporary directory (its own base and state directories, a
plain-text password file, Maildir homes, a free port on 127.0.0.1), never the system's service.
As root, mail is kept by ``nobody`` and dovecot's own unprivileged users run its processes;
as another user, everything runs as that user."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional

from imapclient import IMAPClient

from tests.integration.conftest import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


class Dovecot:
    def __init__(self, root: Path, users: Dict[str, str], cert: Optional[tuple] = None) -> None:
        self.root, self.users, self.cert = root, users, cert
        self.port = free_port()
        self.tls_port = free_port() if cert else 0  # IMAPS (TLS from the start), with a certificate

    def start(self) -> Dovecot:
        if not os.path.exists(DOVECOT):
            raise RuntimeError("dovecot is not installed: apt-get install dovecot-imapd (.ci/run does it)")
        for name in ("run", "state", "home"):
            (self.root / name).mkdir(parents=True, exist_ok=True)
        (self.root / "passwd").write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in self.users.items()))
        (self.root / "dovecot.conf").write_text(self._config())
        if os.getuid() == 0:
            shutil.chown(self.root / "home", "nobody", "nogroup")
            os.chmod(self.root / "passwd", 0o644)
        with (self.root / "start.log").open("w") as output:  # its daemons keep a pipe open: a file
            subprocess.run([DOVECOT, "-c", str(self.root / "dovecot.conf")], check=True,
                           stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT)  # fmt: skip
        self._wait()
        return self

    def _config(self) -> str:
        if os.getuid() == 0:
            internal, login, mail_user, mail_group = "dovecot", "dovenull", "nobody", "nogroup"
        else:
            me, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
            internal = login = mail_user = me
            mail_group = group
        ssl = (
            f"ssl = yes\nssl_cert = <{self.cert[0]}\nssl_key = <{self.cert[1]}\n"
            if self.cert
            else "ssl = no\n"
        )
        return f"""protocols = imap
listen = 127.0.0.1
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
{ssl}disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={self.root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
    ssl = yes
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""

    def _wait(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=2).logout()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"dovecot did not come up:\n{self.log()}")

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text()[-3000:] if path.exists() else ""

    def stop(self) -> None:
        pid_file = self.root / "run" / "master.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().split()[0])
            try:
                os.kill(pid, 15)
            except ProcessLookupError:
                return
            for _ in range(50):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    return
                time.sleep(0.1)

    def client(self, user: str) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(user, self.users[user])
        return client

    def append(self, user: str, *messages: bytes) -> None:
        """Delivers ``messages`` into ``user``'s INBOX (IMAP APPEND), unseen."""
        client = self.client(user)
        try:
            for message in messages:
                client.append("INBOX", message)
        finally:
            client.logout()

    def unseen(self, user: str) -> List[int]:
        client = self.client(user)
        try:
            client.select_folder("INBOX", readonly=True)
            return list(client.search(["UNSEEN"]))
        finally:
            client.logout()
