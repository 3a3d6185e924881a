"""Sign-up links carry the sign-up sealed: only this service opens them, and only as sign-ups."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta

from adly_auth.adapters.signup_tokens import SealedSignupTokens
from adly_auth.domain.records import PendingSignup
from adly_kit.crypto import Keyring
from adly_kit.settings import DEV_ENCRYPTION_KEYS

PENDING = PendingSignup("ada@example.com", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
                        datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC))


def keyring(*kids: str) -> Keyring:
    return Keyring({kid: kid.encode().ljust(32, b"!") for kid in kids})


def test_a_sealed_sign_up_opens_as_it_was_and_needs_no_escaping_in_a_url():
    tokens = SealedSignupTokens(Keyring.from_setting(DEV_ENCRYPTION_KEYS))
    token = tokens.seal(PENDING)
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", token)
    assert tokens.open(token) == PENDING
    decoded = b"".join(base64.urlsafe_b64decode(part + "==") for part in token.split("."))
    assert b"ada@example.com" not in decoded and b"argon2" not in decoded, "sealed, not merely encoded"


def test_each_sealing_differs_so_a_link_reveals_nothing_about_another():
    tokens = SealedSignupTokens(Keyring.from_setting(DEV_ENCRYPTION_KEYS))
    assert tokens.seal(PENDING) != tokens.seal(PENDING)


def test_another_key_an_altered_token_or_another_sealed_value_does_not_open():
    ours = SealedSignupTokens(keyring("k1"))
    token = ours.seal(PENDING)
    kek, wrapped, ciphertext = token.split(".")
    flipped = ciphertext[:-3] + ("A" if ciphertext[-3] != "A" else "B") + ciphertext[-2:]
    other_use = ours.keyring.encrypt(b'{"email":"x@example.com","hash":"h","exp":1}', aad=b"row-id").to_text()
    assert SealedSignupTokens(keyring("k2")).open(token) is None
    for bad in (f"{kek}.{wrapped}.{flipped}", other_use, "", "a.b", "a.b.c.d", "é.é.é", token + "."):
        assert ours.open(bad) is None, bad


def test_a_link_outlives_a_key_rotation_while_the_old_key_is_kept():
    before = SealedSignupTokens(keyring("k1")).seal(PENDING)
    assert SealedSignupTokens(keyring("k2", "k1")).open(before) == PENDING


def test_the_expiry_travels_to_the_second():
    tokens = SealedSignupTokens(keyring("k1"))
    soon = PendingSignup("ada@example.com", "h", datetime.now(UTC).replace(microsecond=0) + timedelta(hours=24))
    assert tokens.open(tokens.seal(soon)).expires_at == soon.expires_at
