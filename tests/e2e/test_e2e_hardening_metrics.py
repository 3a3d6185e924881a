"""Metrics are for Prometheus, on a listener of their own: the gateway's port, the public
one, answers no metrics under any spelling of the path (issue 9: `/metrics/` was public)."""

import pytest

from .conftest import Stack


@pytest.mark.parametrize("path", ["/metrics", "/metrics/", "/METRICS/", "/metrics/?name[]=adly_events_appended_total",
                                  "/metrics//", "/%6detrics/"])
def test_the_public_port_serves_no_metrics(e2e: Stack, path: str):
    answer = e2e.request("GET", path)
    assert answer.status_code in (400, 401, 404), (path, answer.status_code)
    assert "adly_events_appended_total" not in answer.text
    assert "# TYPE" not in answer.text
