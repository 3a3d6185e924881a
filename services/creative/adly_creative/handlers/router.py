"""Calling providers for one step: the workspace's order, retries, fallback, timeouts.

What to do after a failure is the domain's decision (domain/routing.py); this module only
carries it out: it times each call out, sleeps what the decision says, and collects the
usage of every answered call (a rejected answer was paid for too) and what went wrong.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from adly_creative.domain.ports import ProviderError, Usage
from adly_creative.domain.routing import (
    Modality,
    NextProvider,
    ProviderFailure,
    RetryPolicy,
    after_failure,
    display_name,
    failure_of,
)

log = logging.getLogger(__name__)

# (provider name, result) -> (the result to keep, or None with the reason it was not kept)
Vet = Callable[[str, Any], tuple[Any | None, str | None]]
# provider -> its answer: one call of a port's method (`lambda p: p.write_copy(request)`)
Call = Callable[[Any], Awaitable[Any]]


@dataclass
class Routed:
    provider: str
    result: Any
    usages: list[Usage] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failures: list[ProviderFailure] = field(default_factory=list)


class AllProvidersFailed(Exception):
    def __init__(self, modality: Modality, failures: list[ProviderFailure], usages: list[Usage], notes: list[str]) -> None:
        super().__init__(f"every {modality} provider failed")
        self.modality, self.failures, self.usages, self.notes = modality, failures, usages, notes


class ProviderRouter:
    def __init__(self, policy: RetryPolicy, timeout: float, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 jitter: Callable[[], float] = random.random) -> None:
        self.policy, self.timeout, self.sleep, self.jitter = policy, timeout, sleep, jitter

    async def run(self, modality: Modality, candidates: Sequence[tuple[str, Any]], call: Call,
                  vet: Vet | None = None) -> Routed:
        usages: list[Usage] = []
        notes: list[str] = []
        failures: list[ProviderFailure] = []
        for name, provider in candidates:
            kept, failure = await self._try(name, provider, call, vet, usages, notes)
            if failure is None:
                return Routed(name, kept, usages, notes, failures)
            failures.append(failure)
        raise AllProvidersFailed(modality, failures, usages, notes)

    async def _try(self, name: str, provider: Any, call: Call, vet: Vet | None, usages: list[Usage], notes: list[str]
                   ) -> tuple[Any, ProviderFailure | None]:
        attempt = 0
        while True:
            attempt += 1
            try:
                result = await self._call(name, provider, call)
            except ProviderError as error:
                decision = after_failure(error, attempt, self.policy, self.jitter)
                if isinstance(decision, NextProvider):
                    notes.append(f"{display_name(name)}: {error.message} ({decision.why})")
                    return None, failure_of(name, error)
                log.info("provider call failed, retrying", extra={"provider": name, "attempt": attempt,
                                                                  "delay": decision.delay})
                await self.sleep(decision.delay)
                continue
            usage = getattr(result, "usage", None)
            if usage is not None:
                usages.append(usage)
            if vet is None:
                return result, None
            kept, problem = vet(name, result)
            if kept is not None:
                return kept, None
            notes.append(f"{display_name(name)}: {problem}")
            return None, ProviderFailure(name, "checks", problem or "rejected")

    async def _call(self, name: str, provider: Any, call: Call) -> Any:
        try:
            return await asyncio.wait_for(call(provider), self.timeout)
        except ProviderError:
            raise
        except TimeoutError:
            raise ProviderError(name, f"no answer in {self.timeout:.0f} s", retryable=True) from None
        except Exception as error:  # a bug or an SDK surprise: not worth retrying, worth falling back
            log.exception("provider raised an unexpected error", extra={"provider": name})
            raise ProviderError(name, f"unexpected {type(error).__name__}", retryable=False) from error
