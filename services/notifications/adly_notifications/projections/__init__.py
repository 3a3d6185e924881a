"""Read models of the notifications context, fed from its own event store with checkpoints."""

from collections.abc import Callable

from adly_kit.projections import Projection

projections: list[Callable[[], Projection]] = []
"""Factories of the context's projections; `adly-notifications rebuild <name>` replays one."""
