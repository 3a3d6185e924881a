"""Issue 10: the brief parser's accuracy on the corpus of merchants' briefs.

The corpus (services/campaigns/tests/unit/brief_corpus.json) holds briefs in Arabic and
English with the plan a careful human reads in each. Every brief is parsed offline on its
context, and 15 fields are compared with what was expected: objective, platforms, budget
amount (with its split per platform), budget currency, budget kind, schedule start, schedule
end, countries, cities, audience languages, age range, gender, products (with the
collection), creative language, variants per platform.

Rows: brief_parser_field_accuracy = fields right / fields compared (target >= 95 %),
brief_parser_invented_budgets = briefs with no budget where the parser found one (target 0),
then per field, per language and on the holdout briefs (written after the parser) for
information, and briefs parsed per second.

`brief_rows()` computes the rows as dicts (the `bench.harness.Row` fields); `run(ctx)` gives
them to `bench.run`. No database, no broker: it runs in a few seconds.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from adly_campaigns.domain.brief import BriefContext, CatalogItem, ParsedBrief, parse_brief

ISSUE = 10
NAME = "campaigns_brief"
ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "services" / "campaigns" / "tests" / "unit" / "brief_corpus.json"
PRODUCT_NAMESPACE = uuid.UUID("6f1c4a52-8a43-4d0e-9a67-2b1f7d0c9e15")
FIELDS = ("objective", "platforms", "budget_amount", "budget_currency", "budget_kind", "starts_on", "ends_on",
          "countries", "cities", "languages", "age_range", "gender", "products", "creative_language", "variants")
TARGET_ACCURACY = 0.95


def product_id(slug: str) -> uuid.UUID:
    return uuid.uuid5(PRODUCT_NAMESPACE, slug)


def load_corpus(path: Path = CORPUS) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def catalog_of(corpus: dict[str, Any]) -> tuple[CatalogItem, ...]:
    return tuple(CatalogItem(id=product_id(p["slug"]), title=p["title"], tags=tuple(p.get("tags", ())),
                             collections=tuple(p.get("collections", ()))) for p in corpus["catalog"])


def context_of(corpus: dict[str, Any], brief: dict[str, Any]) -> BriefContext:
    settings = corpus["context"] | brief.get("context", {})
    return BriefContext(today=date.fromisoformat(settings["today"]), time_zone=settings["time_zone"],
                        catalog=catalog_of(corpus), default_countries=tuple(settings.get("default_countries", ())))


def expected_fields(corpus: dict[str, Any], brief: dict[str, Any]) -> dict[str, Any]:
    expect = corpus["defaults"] | brief["expect"]
    budget = expect["budget"]
    return {
        "objective": expect["objective"], "platforms": sorted(expect["platforms"]),
        "budget_amount": _amount(budget), "budget_currency": budget and budget["currency"],
        "budget_kind": budget and budget["kind"], "starts_on": expect["starts_on"], "ends_on": expect["ends_on"],
        "countries": sorted(expect["countries"]), "cities": sorted(expect["cities"]),
        "languages": sorted(expect["languages"]), "age_range": list(expect["age_range"]), "gender": expect["gender"],
        "products": (sorted(expect["products"]), expect["collection"]),
        "creative_language": expect.get("creative_language", expect["language"]), "variants": expect["variants"],
    }


def parsed_fields(parsed: ParsedBrief, slugs: dict[str, str]) -> dict[str, Any]:
    """The compared fields of a parse; product ids back to the corpus's slugs."""
    value = parsed.value
    budget = value("budget")
    schedule = value("schedule") or {}
    ages = value("age_range") or {}
    return {
        "objective": value("objective"), "platforms": sorted(value("platforms") or []),
        "budget_amount": _amount(budget), "budget_currency": budget and budget["currency"],
        "budget_kind": budget and budget["kind"], "starts_on": schedule.get("starts_on"),
        "ends_on": schedule.get("ends_on"), "countries": sorted(value("countries") or []),
        "cities": sorted(value("cities") or []), "languages": sorted(value("languages") or []),
        "age_range": [ages.get("min"), ages.get("max")], "gender": value("gender"),
        "products": (sorted(slugs.get(p, p) for p in value("products") or []), value("collection")),
        "creative_language": value("creative_language"), "variants": value("variants_per_platform"),
    }


def _amount(budget: dict[str, Any] | None) -> Any:
    if not budget:
        return None
    return budget["amount"], tuple(sorted((budget.get("per_platform") or {}).items()))


def evaluate(corpus: dict[str, Any] | None = None) -> dict[str, Any]:
    """Per brief: the fields that differ; per field and language: right / compared."""
    corpus = corpus or load_corpus()
    right: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses: dict[str, dict[str, Any]] = {}
    invented: list[str] = []
    slugs = {str(product_id(p["slug"])): p["slug"] for p in corpus["catalog"]}
    started = time.perf_counter()
    for brief in corpus["briefs"]:
        parsed = parse_brief(brief["text"], context_of(corpus, brief))
        got, want = parsed_fields(parsed, slugs), expected_fields(corpus, brief)
        if want["budget_amount"] is None and got["budget_amount"] is not None:
            invented.append(brief["id"])
        groups = ("all", brief["expect"]["language"], "holdout" if brief.get("holdout") else "tuned")
        for field in FIELDS:
            ok = got[field] == want[field]
            for key in (field, *groups):
                right[key][0] += ok
                right[key][1] += 1
            if not ok:
                misses.setdefault(brief["id"], {})[field] = {"expected": want[field], "parsed": got[field]}
    elapsed = time.perf_counter() - started
    return {"right": dict(right), "misses": misses, "invented": invented, "briefs": len(corpus["briefs"]),
            "seconds": elapsed}


def brief_rows() -> list[dict[str, Any]]:
    result = evaluate()
    right = result["right"]

    def share(key: str) -> float:
        got, total = right.get(key, [0, 0])
        return got / total if total else 1.0

    accuracy = share("all")
    rows = [
        _row("brief_parser_field_accuracy", 100 * accuracy, "%", ">= 95 %", accuracy >= TARGET_ACCURACY,
             {"fields_right": right["all"][0], "fields": right["all"][1], "briefs": result["briefs"],
              "misses": result["misses"]}),
        _row("brief_parser_invented_budgets", len(result["invented"]), "briefs", "0", not result["invented"],
             {"briefs": result["invented"]}),
    ]
    rows += [_row(f"brief_parser_{field}_accuracy", 100 * share(field), "%", "info", None) for field in FIELDS]
    rows += [_row(f"brief_parser_{group}_accuracy", 100 * share(group), "%", "info", None)
             for group in ("ar", "en", "holdout") if group in right]
    rows.append(_row("brief_parser_briefs_per_s", result["briefs"] / max(result["seconds"], 1e-9), "briefs/s",
                     "info", None))
    return rows


def _row(name: str, value: float, unit: str, target: str, passed: bool | None,
         detail: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"issue": ISSUE, "name": name, "value": float(value), "unit": unit, "baseline": None, "ratio": None,
            "target": target, "passed": passed, "detail": detail or {}}


async def run(ctx: Any) -> list[Any]:
    from bench.harness import Row

    return [Row(**row) for row in brief_rows()]


if __name__ == "__main__":
    for row in brief_rows():
        print(f"{row['name']:45} {row['value']:8.2f} {row['unit']:8} {row['target']:10} {row['passed']}")
    for brief_id, fields in evaluate()["misses"].items():
        print(brief_id, json.dumps(fields, ensure_ascii=False))
