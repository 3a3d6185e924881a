"""A webhook receiver on 127.0.0.1, as a merchant's system would run one.

One HTTP server for the whole e2e session (notifications may deliver to its host:port alone,
`ADLY_WEBHOOK_PRIVATE_HOSTS`); each test takes a hook of its own under it (`receiver.hook()`,
its own path). A hook verifies every delivery with the `standardwebhooks` package and the
endpoint's secret, exactly as a receiver following the specification would, keeps what came
(webhook-id, verified or why not, the payload), and answers the statuses it was told to
(`answer_next(500, 500, 500)`), then 200. Tests wait on a hook's own condition
(`wait_for(count)`), never on a clock.
"""

from __future__ import annotations

import http.server
import json
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass(frozen=True)
class Delivery:
    webhook_id: str
    verified: bool
    error: str | None        # why verification failed
    payload: Any             # the verified body, parsed; None when it did not verify
    answered: int            # the status the hook answered


class Hook:
    def __init__(self, url: str) -> None:
        self.url = url
        self.secret: str | None = None  # the endpoint's, as its registration showed it once
        self._answers: list[int] = []
        self._deliveries: list[Delivery] = []
        self._changed = threading.Condition()

    def answer_next(self, *statuses: int) -> None:
        with self._changed:
            self._answers.extend(statuses)

    def receive(self, body: bytes, headers: dict[str, str]) -> int:
        verified, error, payload = False, "no secret was set for this hook", None
        if self.secret is not None:
            try:
                payload = Webhook(self.secret).verify(body, headers)
                verified, error = True, None
            except WebhookVerificationError as failure:
                error = str(failure) or type(failure).__name__
        with self._changed:
            status = self._answers.pop(0) if self._answers else 200
            self._deliveries.append(Delivery(headers.get("webhook-id", ""), verified, error, payload, status))
            self._changed.notify_all()
        return status

    @property
    def deliveries(self) -> list[Delivery]:
        with self._changed:
            return list(self._deliveries)

    def wait_for(self, count: int, *, timeout: float = 60.0) -> list[Delivery]:
        """The deliveries once there are at least `count` (fewer if `timeout` passed first)."""
        with self._changed:
            self._changed.wait_for(lambda: len(self._deliveries) >= count, timeout=timeout)
            return list(self._deliveries)


class WebhookReceiver:
    def __init__(self) -> None:
        receiver = self
        self._hooks: dict[str, Hook] = {}
        self._lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    hook = receiver._hooks.get(self.path)
                status = hook.receive(body, {k.lower(): v for k, v in self.headers.items()}) if hook else 404
                answer = json.dumps({"received": status < 300}).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        """host:port, as `ADLY_WEBHOOK_PRIVATE_HOSTS` names it."""
        return f"127.0.0.1:{self.server.server_address[1]}"

    def hook(self, name: str | None = None) -> Hook:
        path = f"/hooks/{name or secrets.token_hex(6)}"
        hook = Hook(f"http://{self.host}{path}")
        with self._lock:
            self._hooks[path] = hook
        return hook

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
