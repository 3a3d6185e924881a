"""deploy/observability: Grafana dashboards and Prometheus alert rules that load, parse as
PromQL, and ask only for metrics ADLY exports (a renamed metric would silently empty a panel
and silence an alert)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import promql_parser
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
OBSERVABILITY = ROOT / "deploy" / "observability"
DEFINITION = re.compile(r"\b(Counter|Gauge|Histogram|Summary)\(\s*[\"']([A-Za-z_:][\w:]*)[\"']")
# The series prometheus_client exposes per kind (a histogram has no series of its bare name).
SERIES = {"Counter": ("_total", "_created"), "Histogram": ("_bucket", "_sum", "_count", "_created"),
          "Summary": ("_sum", "_count", "_created"), "Gauge": ("",)}
# Series no ADLY code defines but every scrape has: Prometheus's own `up`, and the process and
# Python collectors prometheus_client registers by default (the services serve its registry).
SCRAPE_SERIES = {"up"}
DEFAULT_COLLECTOR_PREFIXES = ("process_", "python_")
# Grafana's variables are not PromQL: a duration stands in for them before parsing.
GRAFANA_VARIABLE = re.compile(r"\$__\w+|\$\{[^}]+\}|\$\w+|\[\[\w+\]\]")
RULE_FIELDS = ("alert", "expr", "for", "labels", "annotations")


def exported_metrics() -> set[str]:
    names = set()
    for path in [*ROOT.glob("libs/**/*.py"), *ROOT.glob("services/**/*.py")]:
        if "tests" in path.relative_to(ROOT).parts:
            continue
        for kind, name in DEFINITION.findall(path.read_text()):
            base = name.removesuffix("_total") if kind == "Counter" else name
            names |= {base + suffix for suffix in SERIES[kind]}
    return names


def metric_names(expr: str) -> set[str]:
    names = set()

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector):
            by_matcher = [m.value for m in node.matchers.matchers
                          if m.name == "__name__" and m.op == promql_parser.MatchOp.Equal]
            names.update([node.name] if node.name else by_matcher or ["<unnamed selector>"])

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def unknown_metrics(expr: str, known: set[str]) -> set[str]:
    return {name for name in metric_names(expr)
            if name not in known and name not in SCRAPE_SERIES and not name.startswith(DEFAULT_COLLECTOR_PREFIXES)}


def files(pattern: str) -> list[Path]:
    # No assert here: this runs at collection, where a failure would stop every other test.
    return sorted(OBSERVABILITY.glob(pattern))


def dashboards() -> list[Path]:
    return files("grafana/**/*.json")


def rule_files() -> list[Path]:
    return [p for p in files("prometheus/**/*.y*ml") if p.name not in ("prometheus.yml", "prometheus.yaml")]


def panels(container: dict):
    for panel in container.get("panels") or []:
        yield panel
        yield from panels(panel)  # a collapsed row holds its panels


def is_prometheus(target: dict, panel: dict) -> bool:
    source = target.get("datasource") or panel.get("datasource") or {}
    kind = source.get("type", "prometheus") if isinstance(source, dict) else "prometheus"
    return kind == "prometheus"


def panel_queries(dashboard: dict):
    for panel in panels(dashboard):
        for target in panel.get("targets") or []:
            if "expr" in target and is_prometheus(target, panel):
                yield f"panel {panel.get('title', panel.get('id'))!r} target {target.get('refId', '?')}", target["expr"]


@pytest.fixture(scope="module")
def known() -> set[str]:
    names = exported_metrics()
    assert names, "no prometheus_client metric definitions found in libs/ or services/"
    return names


def test_the_observability_directory_holds_dashboards_and_alert_rules():
    assert dashboards(), "deploy/observability/grafana holds no dashboard (*.json)"
    assert rule_files(), "deploy/observability/prometheus holds no alert rules file (*.yml)"


def test_exported_metrics_include_the_seeds_and_the_backbones(known):
    # The collector itself must be able to see what it checks against.
    assert {"adly_events_dead_lettered_total", "adly_relay_lag_seconds"} <= known


@pytest.mark.parametrize("path", dashboards(), ids=lambda p: p.name)
def test_every_dashboard_panel_queries_exported_metrics_in_valid_promql(path, known):
    dashboard = json.loads(path.read_text())
    queries = list(panel_queries(dashboard))
    assert queries, f"{path.name}: no panel has a Prometheus query"
    wrong = []
    for where, expr in queries:
        try:
            unknown = unknown_metrics(GRAFANA_VARIABLE.sub("5m", expr), known)
        except ValueError as error:
            wrong.append(f"{where}: {expr!r} is not PromQL: {error}")
            continue
        if unknown:
            wrong.append(f"{where}: {sorted(unknown)} are not metrics ADLY exports")
    assert not wrong, f"{path.name}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("path", rule_files(), ids=lambda p: p.name)
def test_every_alert_rule_has_the_prometheus_shape(path):
    content = yaml.safe_load(path.read_text()) or {}
    assert set(content) == {"groups"} and content["groups"], f"{path.name}: a rules file is `groups:` and nothing else"
    wrong = []
    for group in content["groups"]:
        if not group.get("name") or not group.get("rules"):
            wrong.append(f"group {group.get('name')!r}: needs a name and rules")
        for rule in group.get("rules") or []:
            where = f"group {group.get('name')!r} rule {rule.get('alert', rule.get('record'))!r}"
            if "record" in rule:
                continue  # a recording rule: its expr is checked below, it pages nobody
            wrong += [f"{where}: no {field}" for field in RULE_FIELDS if field not in rule]
            if not (rule.get("labels") or {}).get("severity"):
                wrong.append(f"{where}: no labels.severity")
            if not (rule.get("annotations") or {}).get("summary"):
                wrong.append(f"{where}: no annotations.summary")
    assert not wrong, f"{path.name}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("path", rule_files(), ids=lambda p: p.name)
def test_every_alert_rule_queries_exported_metrics_in_valid_promql(path, known):
    groups = (yaml.safe_load(path.read_text()) or {}).get("groups") or []
    rules = [rule for group in groups for rule in group.get("rules") or []]
    recorded = {rule["record"] for rule in rules if "record" in rule}
    wrong = []
    for rule in rules:
        where = f"rule {rule.get('alert', rule.get('record'))!r}"
        try:
            unknown = unknown_metrics(str(rule.get("expr", "")), known | recorded)
        except ValueError as error:
            wrong.append(f"{where}: {rule.get('expr')!r} is not PromQL: {error}")
            continue
        if unknown:
            wrong.append(f"{where}: {sorted(unknown)} are not metrics ADLY exports")
    assert not wrong, f"{path.name}:\n" + "\n".join(wrong)
