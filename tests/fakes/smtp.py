"""A mail server on 127.0.0.1 (aiosmtpd) for tests: it keeps each message it accepts and
answers what the test tells it.

`rcpt` answers every RCPT TO; DATA is answered from `script` in turn, then `data`. With
`hold` set, a message that reached DATA (and was kept) waits there until `release` is set,
so a test can stop a sender at the moment the server has the message and has not answered
(`at_data` is set then). Usable as `with SmtpServer() as server:` or `start()`/`stop()`.
"""

from __future__ import annotations

import asyncio
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.fakes.server import free_port


class SmtpServer:
    def __init__(self, rcpt: str = "250 OK", data: str = "250 OK") -> None:
        self.rcpt, self.data = rcpt, data
        self.script: list[str] = []
        self.received: list[EmailMessage] = []
        self.recipients: list[list[str]] = []   # each kept message's RCPT TO addresses
        self.hold, self.release, self.at_data = threading.Event(), threading.Event(), threading.Event()
        self._lock = threading.Lock()
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._controller.stop()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802 - aiosmtpd's name
                          rcpt_options: Any) -> str:
        if self.rcpt.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        with self._lock:
            answer = self.script.pop(0) if self.script else self.data
            if answer.startswith("250"):
                parsed = message_from_bytes(envelope.content, policy=policy.default)
                assert isinstance(parsed, EmailMessage)
                self.received.append(parsed)
                self.recipients.append(list(envelope.rcpt_tos))
        self.at_data.set()
        if self.hold.is_set():
            await asyncio.to_thread(self.release.wait, 30)
        return answer

    def to(self, address: str) -> list[EmailMessage]:
        """The kept messages whose To names `address`, oldest first."""
        with self._lock:
            return [m for m in self.received if address.lower() in str(m["To"]).lower()]
