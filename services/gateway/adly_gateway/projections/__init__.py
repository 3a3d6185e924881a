"""Read models of the gateway context, fed from its own event store with checkpoints."""

from collections.abc import Callable

from adly_kit.projections import Projection

projections: list[Callable[[], Projection]] = []
"""Factories of the context's projections; `adly-gateway rebuild <name>` replays one."""
