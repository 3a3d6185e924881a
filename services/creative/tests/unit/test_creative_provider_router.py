from decimal import Decimal

import pytest

from adly_creative.domain.ports import ContentRefused, Money, ProviderError, Usage
from adly_creative.domain.routing import Modality, RetryPolicy
from adly_creative.handlers.router import AllProvidersFailed, ProviderRouter


class Scripted:
    """A provider that plays its script: an exception to raise, or a result to return."""

    def __init__(self, name, *script):
        self.name, self.script, self.calls = name, list(script), 0

    async def write_copy(self, _request):
        self.calls += 1
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


class Result:
    def __init__(self, provider, cost="0.01"):
        self.usage = Usage(provider=provider, cost=Money(Decimal(cost), "USD"))


def router(slept):
    async def sleep(seconds):
        slept.append(seconds)

    return ProviderRouter(RetryPolicy(max_attempts=3, base_delay=0.5, max_delay=20), timeout=5, sleep=sleep,
                          jitter=lambda: 1.0)


async def test_a_rate_limited_provider_is_retried_after_the_wait_it_asked_for_then_succeeds():
    slept = []
    openai = Scripted("openai", ProviderError("openai", "429", retryable=True, retry_after=1.5), Result("openai"))
    routed = await router(slept).run(Modality.TEXT, [("openai", openai)], lambda p: p.write_copy(None))
    assert routed.provider == "openai" and openai.calls == 2 and slept == [1.5]


async def test_retries_then_a_refusal_fall_back_to_the_next_provider_and_both_calls_are_noted():
    slept = []
    openai = Scripted("openai", ProviderError("openai", "503", retryable=True), ContentRefused("openai", "moderation"))
    anthropic = Scripted("anthropic", Result("anthropic", "0.02"))
    routed = await router(slept).run(Modality.TEXT, [("openai", openai), ("anthropic", anthropic)],
                                     lambda p: p.write_copy(None))
    assert routed.provider == "anthropic" and slept == [0.5]
    assert routed.notes == ["OpenAI: moderation (refused by content moderation)"]
    assert [u.provider for u in routed.usages] == ["anthropic"]


async def test_an_answer_refused_by_the_checks_is_paid_for_and_the_next_provider_is_tried():
    openai, offline = Scripted("openai", Result("openai", "0.03")), Scripted("offline", Result("offline", "0"))
    vet = lambda name, result: (None, "every variant failed the checks") if name == "openai" else (result, None)  # noqa: E731
    routed = await router([]).run(Modality.TEXT, [("openai", openai), ("offline", offline)],
                                  lambda p: p.write_copy(None), vet)
    assert routed.provider == "offline" and [u.provider for u in routed.usages] == ["openai", "offline"]


async def test_when_every_provider_fails_the_failures_say_why_in_order():
    openai = Scripted("openai", ProviderError("openai", "bad key", status=401))
    offline = Scripted("offline", RuntimeError("a bug"))
    with pytest.raises(AllProvidersFailed) as failed:
        await router([]).run(Modality.TEXT, [("openai", openai), ("offline", offline)], lambda p: p.write_copy(None))
    assert [(f.provider, f.kind) for f in failed.value.failures] == [("openai", "bad_key"), ("offline", "failed")]


async def test_a_provider_that_does_not_answer_in_time_counts_as_retryable():
    import asyncio

    class Slow:
        calls = 0

        async def write_copy(self, _request):
            Slow.calls += 1
            await asyncio.sleep(10)

    quick = ProviderRouter(RetryPolicy(max_attempts=2, base_delay=0.0), timeout=0.05)
    with pytest.raises(AllProvidersFailed) as failed:
        await quick.run(Modality.TEXT, [("openai", Slow())], lambda p: p.write_copy(None))
    assert Slow.calls == 2 and failed.value.failures[0].kind == "unavailable"
