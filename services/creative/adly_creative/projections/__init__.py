"""Read models of the creative context, fed from its own event store with checkpoints."""

from collections.abc import Callable

from adly_kit.projections import Projection

projections: list[Callable[[], Projection]] = []
"""Factories of the context's projections; `adly-creative rebuild <name>` replays one."""
