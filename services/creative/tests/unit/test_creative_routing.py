from adly_creative.domain.ports import ContentRefused, ProviderError, ProviderQuotaExhausted
from adly_creative.domain.routing import (
    Modality,
    NextProvider,
    ProviderFailure,
    Retry,
    RetryPolicy,
    after_failure,
    failure_of,
    failure_reason,
    provider_order,
)

POLICY = RetryPolicy(max_attempts=3, base_delay=0.5, max_delay=20)


def no_jitter() -> float:
    return 1.0


def test_without_keys_every_modality_uses_the_offline_provider():
    for modality in Modality:
        assert provider_order(modality, None, set()) == ["offline"]


def test_with_keys_the_preferred_providers_come_first_and_offline_last():
    keys = {"openai", "anthropic", "stability", "elevenlabs"}
    assert provider_order(Modality.TEXT, None, keys) == ["openai", "anthropic", "offline"]
    assert provider_order(Modality.IMAGE, None, keys) == ["stability", "openai", "offline"]
    assert provider_order(Modality.SPEECH, None, keys) == ["elevenlabs", "offline"]
    assert provider_order(Modality.TEXT, None, {"anthropic"}) == ["anthropic", "offline"]


def test_a_workspace_order_is_kept_minus_providers_without_a_key_or_the_skill():
    assert provider_order(Modality.TEXT, ["anthropic", "openai", "stability"], {"openai"}) == ["openai"]
    assert provider_order(Modality.TEXT, ["anthropic"], set()) == ["offline"]


def test_a_retryable_error_retries_the_same_provider_honouring_retry_after():
    assert after_failure(ProviderError("openai", "429", retryable=True, retry_after=2.0), 1, POLICY) == Retry(2.0)
    assert after_failure(ProviderError("openai", "503", retryable=True), 2, POLICY, no_jitter) == Retry(1.0)


def test_retries_stop_after_the_last_attempt_or_a_wait_too_long():
    assert isinstance(after_failure(ProviderError("openai", "503", retryable=True), 3, POLICY), NextProvider)
    long_wait = ProviderError("openai", "429", retryable=True, retry_after=120)
    assert after_failure(long_wait, 1, POLICY) == NextProvider("asked to wait 120 s")


def test_refusals_exhausted_accounts_and_other_errors_fall_back_at_once():
    for error in (ContentRefused("openai", "moderation"), ProviderQuotaExhausted("openai", "insufficient_quota"),
                  ProviderError("openai", "400 bad request")):
        assert isinstance(after_failure(error, 1, POLICY), NextProvider)


def test_the_merchant_reads_what_to_do_about_a_refusal():
    failure = failure_of("openai", ContentRefused("openai", "moderation_blocked"))
    assert failure_reason(Modality.TEXT, [failure]) == (
        "OpenAI refused the prompt (content policy); try another product or provider")


def test_several_failures_are_listed_in_the_order_they_happened():
    reason = failure_reason(Modality.IMAGE, [
        failure_of("stability", ProviderQuotaExhausted("stability", "402")),
        failure_of("openai", ProviderError("openai", "invalid key", status=401)),
        ProviderFailure("offline", "failed", "no font")])
    assert reason.startswith("No provider could make the image: Stability AI says the account")
    assert "OpenAI rejected the API key; check it in Settings > Creatives" in reason
