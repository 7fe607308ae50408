"""`/metrics` does not exist for the world until an operator sets `WARMLINE_METRICS_TOKEN`."""

from __future__ import annotations

from service.app import create_app
from service.runtime import Runtime


def test_metrics_are_not_served_without_a_configured_token(runtime: Runtime) -> None:
    assert runtime.settings.metrics_token == ""
    client = create_app(runtime).test_client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404
