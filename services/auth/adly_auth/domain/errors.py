"""Auth's own refusals, each a kit error (`adly_kit.errors`) with a `code` of its own."""

from __future__ import annotations

from adly_kit.errors import NotAllowed, TooManyAttempts, Unauthenticated


class InvalidCredentials(Unauthenticated):
    """A wrong password, code or token; the answer never says which part was wrong."""

    code = "invalid-credentials"


class SessionEnded(Unauthenticated):
    code = "session-ended"

    def __init__(self) -> None:
        super().__init__("Session ended.")


class LockedOut(TooManyAttempts):
    """Too many wrong second-factor codes in a row: the second factor rests for a while."""

    code = "locked-out"


class TwoFactorRequired(NotAllowed):
    code = "two-factor-required"

    def __init__(self) -> None:
        super().__init__("This needs a fresh two-factor proof (X-2FA-Token).")
