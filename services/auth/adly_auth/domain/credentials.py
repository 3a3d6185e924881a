"""Who a user is and what a password must be: email normalisation and password rules."""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

from adly_kit.errors import InvalidInput

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # hashing has a cost; unbounded input is a denial of service


def normalise_email(raw: str) -> str:
    """One spelling per mailbox: Unicode NFC, trimmed, IDNA domain, lower case."""
    try:
        checked = validate_email(unicodedata.normalize("NFC", raw.strip()), check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidInput(str(error), field="email") from None
    return checked.normalized.lower()


def check_password(password: str, email: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Use at least {MIN_PASSWORD_LENGTH} characters.", field="password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"Use at most {MAX_PASSWORD_LENGTH} characters.", field="password")
    if password.strip().lower() == email.lower():
        raise InvalidInput("The password must not be the email address.", field="password")
