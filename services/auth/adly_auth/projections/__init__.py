"""Read models of the auth context, fed from its own event store with checkpoints."""

from collections.abc import Callable

from adly_kit.projections import Projection

projections: list[Callable[[], Projection]] = []
"""Factories of the context's projections; `adly-auth rebuild <name>` replays one."""
