"""`adly-dev`: the developer's commands (`adly-dev run [--sandbox]`, `adly-dev run --check`, and
for a session with curl, `adly-dev mail` and `adly-dev totp`)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from adly_kit.devstack.run import SERVICES, Options, default_data_dir, run
from adly_kit.devstack.sandbox import current_step, link_token, mails_in_log, totp


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="adly-dev", description="Run ADLY on this machine.")
    commands = root.add_subparsers(dest="command", required=True)
    start = commands.add_parser(
        "run",
        help="start PostgreSQL, the broker and every service; Ctrl-C stops them all",
        description="Embedded PostgreSQL and Tansu unless DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS are set.",
    )
    start.add_argument("--check", action="store_true",
                       help="start, print the table, walk a first session (and the sandbox journey), stop; "
                            "exit 1 unless all of it worked")
    start.add_argument("--sandbox", action=argparse.BooleanOptionalAction, default=None,
                       help="also run fake Shopify, WooCommerce, Salla and Zid stores to connect (docs/sandbox.md); "
                            "on by default with --check, never in production")
    start.add_argument("--data-dir", type=Path, help="PostgreSQL data, logs and pid files (default: <repo>/var)")
    start.add_argument("--gateway-port", type=int, default=8000, help="the gateway's port (default 8000)")
    start.add_argument("--base-port", type=int, default=8100,
                       help="other services on base+1.., the sandbox on base+10.. (default 8100)")
    start.add_argument("--ready-timeout", type=float, default=60.0, help="seconds to wait for /ready (default 60)")
    start.add_argument("--services", default=",".join(SERVICES), help="comma-separated subset to run")
    code = commands.add_parser(
        "totp",
        help="the 2FA code an authenticator app would show for SECRET (for curl sessions)",
        description="RFC 6238 codes for the secret `POST /v1/auth/2fa/enroll` returned. Auth accepts the "
                    "previous, current and next step, each once: confirm with --step -1, then prove with 0.",
    )
    code.add_argument("secret")
    code.add_argument("--step", type=int, default=0, choices=(-1, 0, 1), help="steps from now (default 0)")
    mail = commands.add_parser(
        "mail",
        help="the mail auth wrote to its log under adly-dev run (no mail server): the newest to ADDRESS",
        description="adly-dev run has auth and notifications write each mail to var/logs/<service>.log "
                    "(ADLY_MAIL_TRANSPORT=log).",
    )
    mail.add_argument("address", nargs="?", help="only mails to this address (default: every mail)")
    mail.add_argument("--token", metavar="PATH",
                      help="print only the token of the newest /PATH?token=... link, e.g. confirm-signup")
    mail.add_argument("--data-dir", type=Path, help="as given to adly-dev run (default: <repo>/var)")
    mail.add_argument("--service", choices=("auth", "notifications"), default="auth",
                      help="whose mail: auth's account mail (default) or notifications' (notices, digests)")
    mail.add_argument("--wait", type=float, default=10.0,
                      help="seconds to wait for the mail to be written (default 10)")
    return root


def show_mail(args: argparse.Namespace) -> int:
    log = (args.data_dir or default_data_dir()).absolute() / "logs" / f"{args.service}.log"
    deadline = time.monotonic() + max(0.0, args.wait)
    while True:  # auth writes the mail a moment after it answered the request that queued it
        mails = [m for m in mails_in_log(log) if args.address is None or m["to"].lower() == args.address.lower()]
        token = link_token(mails, args.address or (mails[-1]["to"] if mails else ""), args.token) if args.token else None
        if (token if args.token else mails) or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    if args.token:
        if token is None:
            print(f"adly-dev: no /{args.token}?token= link in the mails of {log}", file=sys.stderr)
            return 1
        print(token)
        return 0
    if not mails:
        print(f"adly-dev: no mail{' to ' + args.address if args.address else ''} in {log}", file=sys.stderr)
        return 1
    newest = mails[-1] if args.address else None
    for m in [newest] if newest else mails:
        print(f"To: {m['to']}\nSubject: {m['subject']}\nDate: {m['time']}\n\n{m['body']}\n")
    return 0


def options_of(args: argparse.Namespace) -> Options:
    services = tuple(s.strip() for s in args.services.split(",") if s.strip())
    unknown = sorted(set(services) - set(SERVICES))
    if unknown:
        raise SystemExit(f"adly-dev: unknown services {', '.join(unknown)}; choose from {', '.join(SERVICES)}")
    return Options(
        data_dir=(args.data_dir or default_data_dir()).absolute(),
        gateway_port=args.gateway_port,
        base_port=args.base_port,
        ready_timeout=args.ready_timeout,
        check=args.check,
        services=services,
        sandbox=args.check if args.sandbox is None else args.sandbox,
    )


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if args.command == "totp":
        print(totp(args.secret, current_step() + args.step))
        return
    if args.command == "mail":
        sys.exit(show_mail(args))
    sys.exit(run(options_of(args)))
