"""The benchmark modules `python -m bench.run` runs, in order.

A later issue adds its module here; its rows join the same table and latest.json.
"""

MODULES: list[str] = [
    "bench.backbone",  # issue 2: event store, outbox relay, end-to-end latency
    "bench.gateway",  # issue 3: an authenticated GET through the gateway vs straight to the service
    "bench.creative",  # issue 5: offline creative sets (copy + 4 image formats) per second, p95 request -> CreativeGenerated
    "bench.catalog",  # issue 4: a full Shopify sync of 100,000 products: products/s and peak memory
    "bench.campaigns_brief",  # issue 10: the brief parser's per-field accuracy on the corpus, invented budgets
    "bench.campaigns_publish",  # issue 10: approved campaigns to live on the fake Meta: per second, p95
    "bench.campaigns_performance",  # issue 11: 1,000 ads x 30 days pulled from each platform's fake: rows/s, CPU
    "bench.analytics",  # issue 12: 1M performance rows through ingest vs bare COPY; dashboard p99 over 10M facts, RSS
    "bench.notifications",  # issue 13: signed webhook deliveries to a local receiver per second, p99 enqueue -> delivery
    "bench.system",  # issue 16: `make run` to ready, each service's resident memory after start and after journeys
]
