"""Topic names and the dead-letter rule.

A topic is named by bounded context and aggregate: `adly.<context>.<aggregate>`.
The message key is always the aggregate id (see `EventEnvelope.key`), so every event
of one aggregate lands on one partition and is read in order.
"""

import re

PREFIX = "adly"
DEAD_LETTER_SUFFIX = ".DLT"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def topic_for(context: str, aggregate_type: str) -> str:
    for part in (context, aggregate_type):
        if not _NAME.match(part):
            raise ValueError(f"topic parts are lower_snake_case, got {part!r}")
    return f"{PREFIX}.{context}.{aggregate_type}"


def dead_letter_topic(topic: str) -> str:
    """Where records a consumer could not process go, with the reason in headers."""
    return topic + DEAD_LETTER_SUFFIX


def is_dead_letter_topic(topic: str) -> bool:
    return topic.endswith(DEAD_LETTER_SUFFIX)
