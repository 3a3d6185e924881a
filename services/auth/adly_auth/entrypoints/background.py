"""Background tasks of the auth service (run with the worker role)."""

from __future__ import annotations

from adly_auth.adapters.container import Adapters
from adly_auth.adapters.mail import MailWorker, SmtpSender
from adly_kit.service import Runtime


async def send_mail(runtime: Runtime) -> None:
    adapters = Adapters.for_runtime(runtime)
    await MailWorker(runtime.engine, adapters.mail, SmtpSender(adapters.settings), adapters.settings).run()
