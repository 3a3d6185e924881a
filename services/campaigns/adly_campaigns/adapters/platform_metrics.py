"""Prometheus metrics of the ad platform clients (the seed's `platform_api_errors_total`)."""

from prometheus_client import Counter

PLATFORM_API_ERRORS = Counter(
    "platform_api_errors_total",
    "Refusals and failures of ad platform API calls, by platform and classified error type.",
    ["platform", "error_type"],
)
