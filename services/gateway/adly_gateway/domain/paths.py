"""Which request paths the gateway takes at all: one spelling per route, so one policy per route.

The route table is matched against the decoded path, and the upstream call goes out with
the path as the client wrote it. Any spelling that a later step could read as another path
would let a request be judged by one rule and served by another: `POST /v1/auth/../auth/login`
was matched as the public `/v1/auth` catch-all (no login rate limit) and forwarded raw, and
httpx removed the dot segments on the way, so auth served `/v1/auth/login`. Rather than
normalise (and then have to forward exactly what was matched), the gateway refuses every
path that is not already in its one canonical form, in every decoding of it:

- no `.` or `..` segment (also `%2e`, `%2E.`, `.%2e`, `%252e%252e`..., and `..;x`, which some
  servers read as `..`);
- no backslash (`\\`, `%5c`, `%255c`), which some servers read as `/`;
- no empty segment inside the path (`//`, `%2f%2f`): a trailing slash is the one empty
  segment allowed, since it changes no match (`/v1/workspaces/` is no route either way).

No real route needs any of these: ids are UUIDs and tokens are URL-safe base64.
"""

from __future__ import annotations

from urllib.parse import unquote

# Percent-decodings examined: raw, then decoded once, twice... A path still changing after
# that many decodings is refused as well: nothing legitimate is encoded that deep.
MAX_DECODINGS = 4
DOT_SEGMENTS = frozenset({".", ".."})


def non_canonical(raw_path: str) -> str | None:
    """Why the path is refused (for logs), or None when it is canonical."""
    if not raw_path.startswith("/"):
        return "relative"
    spelling = raw_path
    for _ in range(MAX_DECODINGS + 1):
        reason = _refusal(spelling)
        if reason is not None:
            return reason
        decoded = unquote(spelling)
        if decoded == spelling:
            return None
        spelling = decoded
    return "encoded too deep"


def _refusal(spelling: str) -> str | None:
    if "\\" in spelling:
        return "backslash"
    segments = spelling.split("/")[1:]
    for position, segment in enumerate(segments):
        if segment.split(";", 1)[0] in DOT_SEGMENTS:
            return "dot segment"
        if segment == "" and position < len(segments) - 1:
            return "empty segment"
    return None
