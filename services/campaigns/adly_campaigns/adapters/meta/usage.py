"""Meta's usage headers, and a governor that slows down before Meta refuses.

Every Marketing API answer says how much of the quota is used, as JSON in headers:
`X-Business-Use-Case-Usage` (`{"<business id>": [{"type", "call_count", "total_cputime",
"total_time", "estimated_time_to_regain_access" (minutes)}]}`), `X-Ad-Account-Usage`
(`{"acc_id_util_pct", "reset_time_duration" (seconds), "ads_api_access_tier"}`) and
`X-App-Usage` (`{"call_count", "total_cputime", "total_time"}`), all in percent.

The governor keeps the latest usage per ad account (the business-use-case entries of an
answer are credited to the account the call was for: one business can hold several
accounts, and being careful with a sibling account costs only a wait) and the app's own.
When any metric is at the threshold, or Meta says access is being regained, the next call
for that account waits until the reset Meta announced, or refuses at once with
THROTTLED and `retry_after` when that wait is longer than the bound.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from adly_campaigns.domain.ports import ErrorKind, PlatformError

APP = "<app>"
BUSINESS_HEADER, ACCOUNT_HEADER, APP_HEADER = "x-business-use-case-usage", "x-ad-account-usage", "x-app-usage"


@dataclass(frozen=True)
class Usage:
    percent: float      # the highest metric, 0..100
    wait: float         # seconds until Meta says it resets or access is regained (0: not said)
    blocked: bool       # Meta says access is being regained: throttled now
    seen_at: float


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _json(headers: Mapping[str, str], name: str) -> Any:
    raw = headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def account_usage(headers: Mapping[str, str], now: float) -> Usage | None:
    percents: list[float] = []
    waits: list[float] = [0.0]
    blocked = False
    business = _json(headers, BUSINESS_HEADER)
    if isinstance(business, dict):
        for entries in business.values():
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict):
                    percents += [_number(entry.get(k)) for k in ("call_count", "total_cputime", "total_time")]
                    regain = _number(entry.get("estimated_time_to_regain_access")) * 60
                    waits.append(regain)
                    blocked = blocked or regain > 0
    account = _json(headers, ACCOUNT_HEADER)
    if isinstance(account, dict):
        percents.append(_number(account.get("acc_id_util_pct")))
        waits.append(_number(account.get("reset_time_duration")))
    if not percents:
        return None
    return Usage(max(percents), max(waits), blocked, now)


def app_usage(headers: Mapping[str, str], now: float) -> Usage | None:
    app = _json(headers, APP_HEADER)
    if not isinstance(app, dict):
        return None
    return Usage(max(_number(app.get(k)) for k in ("call_count", "total_cputime", "total_time")), 0.0, False, now)


class UsageGovernor:
    def __init__(self, *, threshold: float, max_wait: float, default_wait: float, clock: Callable[[], float],
                 sleep: Callable[[float], Awaitable[None]]) -> None:
        self.threshold, self.max_wait, self.default_wait = threshold, max_wait, default_wait
        self.clock, self.sleep = clock, sleep
        self.latest: dict[str, Usage] = {}

    def observe(self, account: str | None, headers: Mapping[str, str]) -> None:
        now = self.clock()
        if account is not None and (usage := account_usage(headers, now)) is not None:
            self.latest[account] = usage
        if (usage := app_usage(headers, now)) is not None:
            self.latest[APP] = usage

    def retry_after(self, account: str | None) -> float:
        """How long a refused call should wait, by what the refusal's headers said."""
        usage = self.latest.get(account) if account is not None else None
        return usage.wait if usage is not None and usage.wait > 0 else self.default_wait

    async def before(self, account: str | None) -> None:
        keys = [k for k in (account, APP) if k is not None]
        pressing = {k: u for k in keys if (u := self.latest.get(k)) is not None and self._pressing(u)}
        if not pressing:
            return
        now = self.clock()
        remaining = max(u.seen_at + (u.wait or self.default_wait) - now for u in pressing.values())
        if remaining > self.max_wait:
            raise PlatformError(ErrorKind.THROTTLED, "Meta's rate limit for this ad account is nearly used up; "
                                f"ADLY will try again in {remaining:.0f} seconds.", retry_after=remaining)
        if remaining > 0:
            await self.sleep(remaining)
        for key in pressing:  # stale now: the next answer says where usage stands
            self.latest.pop(key, None)

    def _pressing(self, usage: Usage) -> bool:
        return usage.blocked or usage.percent >= self.threshold
