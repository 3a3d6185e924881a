"""A member's preferences in one workspace: per kind and channel, on unless turned off.

Only choices a member made are kept; everything else follows the table (on). A kind that is
not mutable cannot be turned off: the request naming it is refused, field by field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from adly_kit.errors import InvalidInput
from adly_notifications.domain.kinds import KINDS, Kind

Choice = tuple[str, str, bool]  # (kind, channel, on)


class PreferencesRefused(InvalidInput):
    """Every choice at fault, each under its own path (`body/kinds/<kind>/<channel>`)."""

    def __init__(self, faults: list[tuple[str, str]], code: str) -> None:
        super().__init__(faults[0][1], field=faults[0][0], code=code)
        self.faults = faults

    def problems(self) -> list[tuple[str, str]]:
        return [(self.located(path), message) for path, message in self.faults]


@dataclass(frozen=True)
class Preferences:
    chosen: Mapping[tuple[str, str], bool] = field(default_factory=dict)  # (kind, channel) -> on

    def allows(self, kind: Kind, channel: str) -> bool:
        return not kind.mutable or self.chosen.get((kind.name, channel), True)

    def table(self) -> list[tuple[Kind, dict[str, bool]]]:
        """Every kind, in the table's order, with each of its channels on or off."""
        return [(kind, {c: self.allows(kind, c) for c in kind.channels}) for kind in KINDS.values()]


def choices(wanted: Mapping[str, Mapping[str, bool]]) -> list[Choice]:
    """The choices a member asks for, checked against the table; refused whole if any is at fault."""
    faults: list[tuple[str, str]] = []
    code = "invalid-preference"
    found: list[Choice] = []
    for name, channels in wanted.items():
        kind = KINDS.get(name)
        if kind is None:
            faults.append((f"kinds/{name}", f"{name!r} is not a kind of notification."))
            continue
        for channel, on in channels.items():
            path = f"kinds/{name}/{channel}"
            if channel not in kind.channels:
                faults.append((path, f"{name} is not sent by {channel!r}; its channels: {', '.join(kind.channels)}."))
            elif not on and not kind.mutable:
                faults.append((path, f"{name} is always sent: it cannot be turned off."))
                code = "not-mutable"
            else:
                found.append((name, channel, on))
    if faults:
        raise PreferencesRefused(faults, code)
    return found
