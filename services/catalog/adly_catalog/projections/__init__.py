"""Read models of the catalog context, fed from its own event store with checkpoints."""

from collections.abc import Callable

from adly_kit.projections import Projection

projections: list[Callable[[], Projection]] = []
"""Factories of the context's projections; `adly-catalog rebuild <name>` replays one."""
