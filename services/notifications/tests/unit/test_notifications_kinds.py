"""The table of docs/notifications.md, as data: who is told of what, and in which words."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from adly_events import CATALOG
from adly_events.contracts.auth import WorkspaceRole as Role
from adly_notifications.domain.kinds import CHANNELS, KINDS, LANGUAGES
from adly_notifications.domain.mailing import DIGEST
from adly_notifications.handlers.intake import MAPPERS

DOC = Path(__file__).parents[4] / "docs" / "notifications.md"


def documented() -> dict[str, tuple[str, str]]:
    """kind -> (told by default, mutable), read from the doc's table."""
    rows = re.findall(r"^\| `([a-z_.]+)` \| (.+?) \| (.+?) \| (yes|no) \|$", DOC.read_text(), re.MULTILINE)
    return {kind: (told, mutable) for kind, _, told, mutable in rows}


def test_every_kind_in_the_doc_is_in_the_table_and_no_other():
    assert set(documented()) == set(KINDS)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_each_kind_tells_the_roles_and_mutability_the_doc_says(name):
    told, mutable = documented()[name]
    kind = KINDS[name]
    assert kind.mutable == (mutable == "yes")
    assert {r.value for r in kind.roles} == {r.value for r in Role if r.value in told}


@pytest.mark.parametrize("name", sorted(set(KINDS) - {DIGEST}))
def test_each_kind_comes_from_a_published_event_the_intake_reads(name):
    kind = KINDS[name]
    model = CATALOG.latest(kind.source).payload_model
    assert model in MAPPERS


@pytest.mark.parametrize("name", sorted(KINDS))
def test_each_kind_has_words_in_english_and_arabic_naming_the_same_params(name):
    words = KINDS[name].words
    assert set(words) == set(LANGUAGES)
    fields = {lang: {f for text in (w.title, w.body) for _, f, _, _ in string.Formatter().parse(text) if f}
              for lang, w in words.items()}
    assert fields["en"] == fields["ar"]
    assert all(w.title and w.body for w in words.values())


def test_the_analyst_gets_only_the_digest_by_default_and_the_new_member_hears_of_joining():
    assert [name for name, kind in KINDS.items() if Role.ANALYST in kind.roles] == [DIGEST]
    assert KINDS["member.invited"].also_tells == "user_id"
    assert KINDS["campaign.awaiting_approval"].roles == {Role.OWNER, Role.ADMIN}


def test_every_kind_goes_to_the_feed_and_email_and_the_digest_by_email_only():
    assert all(kind.channels == CHANNELS for name, kind in KINDS.items() if name != DIGEST)
    assert KINDS[DIGEST].channels == ("email",) and KINDS[DIGEST].source == ""
