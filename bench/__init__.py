"""Benchmarks of the ADLY platform, run with `python -m bench.run`.

Every benchmark module is listed in `bench.registry.MODULES` and exposes

    ISSUE: int             # the issue whose targets it checks
    NAME: str              # short name; results go to bench/results/<NAME>.json
    async def run(ctx: bench.harness.BenchContext) -> list[bench.harness.Row]

`bench.run` starts one Postgres and one broker, runs the modules in turn on them,
prints one table of every row and writes bench/results/<NAME>.json per module plus
bench/results/latest.json (every row of every issue).
"""
