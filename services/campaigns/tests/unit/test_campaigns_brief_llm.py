"""The LLM brief parser, through the official SDKs against the fake OpenAI and Anthropic APIs:
its plan is used only where it passes the offline rules, and any failure leaves the offline parse."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import pytest
from pydantic import SecretStr

from adly_campaigns.adapters.brief_llm import (
    AnthropicBriefProposer,
    BriefParser,
    OpenAIBriefProposer,
    build_proposer,
    open_llm_parser,
)
from adly_campaigns.domain.brief import BriefContext, CatalogItem, parse_brief
from adly_campaigns.domain.brief.proposal_schema import PROPERTIES, SCHEMA
from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.openai import FakeOpenAI

OUD = CatalogItem(uuid4(), "Royal Oud Perfume 100ml", ("perfume", "oud"), ("Perfumes",))
CONTEXT = BriefContext(today=date(2026, 5, 13), time_zone="Asia/Riyadh", catalog=(OUD,), default_countries=("SA",))
BRIEF = "ابغى اعلان لعطر العود الملكي على سناب في الرياض، الميزانية ٢٠٠ ريال يوميا، من الأحد القادم لمدة أسبوعين"
NO_BUDGET = "ابغى اعلان لعطر العود على سناب للنساء ١٨-٣٥ في الرياض، وش تنصحوني بالميزانية؟"


def proposal(**changes: Any) -> dict[str, Any]:
    """What an obedient model answers for BRIEF, with `changes`."""
    plan: dict[str, Any] = {name: None for name in PROPERTIES}
    plan |= {"platforms": ["snapchat"], "countries": ["SA"], "cities": ["Riyadh"], "languages": [], "product_ids": [],
             "budget_per_platform": [], "evidence": []}
    plan |= {"objective": "sales", "budget_amount": "200", "budget_currency": "SAR", "budget_kind": "daily",
             "starts_on": "2026-05-17", "ends_on": "2026-05-30", "product_ids": [str(OUD.id)],
             "evidence": [{"field": "budget_amount", "quote": "٢٠٠ ريال يوميا"}]}
    return plan | changes


@pytest.fixture(scope="module")
def openai_server():
    with FakeOpenAI(api_key="sk-test-right") as fake:
        yield fake


@pytest.fixture
def openai_fake(openai_server):
    openai_server.reset()
    return openai_server


@pytest.fixture(scope="module")
def anthropic_server():
    with FakeAnthropic(api_key="sk-ant-right") as fake:
        yield fake


@pytest.fixture
def anthropic_fake(anthropic_server):
    anthropic_server.reset()
    return anthropic_server


def openai_parser(fake: FakeOpenAI, timeout: float = 10.0) -> BriefParser:
    return BriefParser(OpenAIBriefProposer("sk-test-right", base_url=f"{fake.url}/v1", timeout=timeout))


def anthropic_parser(fake: FakeAnthropic) -> BriefParser:
    return BriefParser(AnthropicBriefProposer("sk-ant-right", base_url=fake.url, timeout=10.0))


async def ask(parser: BriefParser, text: str):
    async with parser:
        return await parser.parse(text, CONTEXT)


def same_as_offline(parsed, text: str) -> bool:
    offline = parse_brief(text, CONTEXT)
    return replace(parsed, notes=offline.notes) == offline


def test_the_answer_schema_is_strict_mode_json_schema():
    def check(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object":
                assert node["additionalProperties"] is False
                assert set(node["required"]) == set(node["properties"])
            for value in node.values():
                check(value)
        elif isinstance(node, list):
            for value in node:
                check(value)

    check(SCHEMA)


async def test_openai_is_asked_for_strict_structured_output_with_the_catalog_and_today(openai_fake):
    openai_fake.answer_next(proposal())
    parsed = await ask(openai_parser(openai_fake), BRIEF)
    sent = openai_fake.requests[-1].json
    assert sent["text"]["format"] == {"type": "json_schema", "name": "campaign_plan", "schema": SCHEMA, "strict": True}
    assert "2026-05-13" in sent["instructions"] and str(OUD.id) in sent["instructions"]
    assert sent["input"] == BRIEF and sent["store"] is False
    assert parsed.value("budget") == {"amount": "200", "currency": "SAR", "kind": "daily"}
    assert parsed.fields["budget"].source.text == "٢٠٠ ريال يوميا"
    assert parsed.plan() is not None


async def test_a_budget_the_brief_does_not_state_is_dropped_and_asked_for(openai_fake):
    openai_fake.answer_next(proposal(budget_amount="500", evidence=[]))
    parsed = await ask(openai_parser(openai_fake), NO_BUDGET)
    assert parsed.value("budget") is None
    assert "budget" in [q.field for q in parsed.questions]
    assert parsed.plan() is None
    assert any("not an amount the brief states" in note for note in parsed.notes)


async def test_an_age_is_not_taken_as_a_budget_even_when_the_model_says_so(openai_fake):
    openai_fake.answer_next(proposal(budget_amount="35", budget_currency="SAR"))
    parsed = await ask(openai_parser(openai_fake), NO_BUDGET)
    assert parsed.value("budget") is None


async def test_a_currency_the_brief_does_not_name_becomes_a_question(openai_fake):
    openai_fake.answer_next(proposal(budget_currency="USD"))
    parsed = await ask(openai_parser(openai_fake), BRIEF)
    assert parsed.value("budget")["currency"] is None
    assert "budget.currency" in [q.field for q in parsed.questions]
    assert parsed.plan() is None


async def test_products_must_be_ids_of_the_catalog(openai_fake):
    openai_fake.answer_next(proposal(product_ids=[str(uuid4()), str(OUD.id)]))
    parsed = await ask(openai_parser(openai_fake), BRIEF)
    assert parsed.value("products") == [str(OUD.id)]
    openai_fake.answer_next(proposal(product_ids=[str(uuid4())]))
    assert (await ask(openai_parser(openai_fake), BRIEF)).value("products") == [str(OUD.id)]


async def test_an_unknown_value_goes_to_not_understood_and_the_offline_value_stays(openai_fake):
    openai_fake.answer_next(proposal(objective="leads", platforms=["snapchat", "pinterest"]))
    parsed = await ask(openai_parser(openai_fake), BRIEF)
    assert parsed.value("objective") == "sales" and parsed.value("platforms") == ["snapchat"]
    assert {span.text for span in parsed.not_understood} >= {"objective: leads", "platforms: pinterest"}


async def test_a_value_the_rules_missed_is_taken_only_with_words_of_the_brief_to_show(openai_fake):
    text = "snap ads in Sakaka, 100 SAR a day"
    openai_fake.answer_next(proposal(cities=["Sakaka"], budget_amount="100",
                                     evidence=[{"field": "cities", "quote": "Sakaka"}]))
    assert (await ask(openai_parser(openai_fake), text)).value("cities") == ["Sakaka"]
    openai_fake.answer_next(proposal(cities=["Tabuk"], budget_amount="100"))
    assert (await ask(openai_parser(openai_fake), text)).value("cities") == []


async def test_an_answer_that_is_not_a_plan_leaves_the_offline_parse(openai_fake):
    parsed = await ask(openai_parser(openai_fake), BRIEF)   # the fake writes ad copy
    assert parsed.value("budget") == parse_brief(BRIEF, CONTEXT).value("budget")
    assert parsed.value("platforms") == ["snapchat"]


@pytest.mark.parametrize("trouble", ["server_error", "rate_limit", "quota", "refusal", "not_json", "cut_off_body"])
async def test_any_openai_failure_falls_back_to_the_offline_parse(openai_fake, trouble):
    {"server_error": lambda: openai_fake.fail_next(500), "rate_limit": lambda: openai_fake.rate_limit_next(1.0),
     "quota": openai_fake.quota_next, "refusal": openai_fake.refuse_next,
     "not_json": lambda: openai_fake.malformed_next("content"),
     "cut_off_body": lambda: openai_fake.malformed_next("body")}[trouble]()
    parsed = await ask(openai_parser(openai_fake), BRIEF)
    assert same_as_offline(parsed, BRIEF)
    assert any("offline parse used" in note for note in parsed.notes)
    assert openai_fake.calls("/v1/responses") == 1      # no retry: the offline parse is already there


async def test_a_slow_provider_times_out_into_the_offline_parse(openai_fake):
    openai_fake.stall_next(30)
    parsed = await ask(openai_parser(openai_fake, timeout=0.5), BRIEF)
    assert same_as_offline(parsed, BRIEF)


async def test_anthropic_is_asked_for_structured_output_and_its_plan_is_checked(anthropic_fake):
    anthropic_fake.answer_next(proposal(budget_amount="900", evidence=[]))
    parsed = await ask(anthropic_parser(anthropic_fake), BRIEF)
    sent = anthropic_fake.requests[-1].json
    assert sent["output_config"] == {"format": {"type": "json_schema", "schema": SCHEMA}}
    assert sent["messages"] == [{"role": "user", "content": BRIEF}]
    assert parsed.value("budget") == {"amount": "200", "currency": "SAR", "kind": "daily"}   # the brief's, not 900


async def test_anthropics_plan_fills_what_it_shows_in_the_brief(anthropic_fake):
    anthropic_fake.answer_next(proposal(gender="female", evidence=[{"field": "gender", "quote": "للنساء"}]))
    parsed = await ask(anthropic_parser(anthropic_fake), NO_BUDGET)
    assert parsed.value("gender") == "female" and parsed.value("budget") is None


@pytest.mark.parametrize("trouble", ["overloaded", "refusal", "not_json", "credit"])
async def test_any_anthropic_failure_falls_back_to_the_offline_parse(anthropic_fake, trouble):
    {"overloaded": lambda: anthropic_fake.fail_next(529), "refusal": anthropic_fake.refuse_next,
     "not_json": lambda: anthropic_fake.malformed_next("content"), "credit": anthropic_fake.quota_next}[trouble]()
    parsed = await ask(anthropic_parser(anthropic_fake), NO_BUDGET)
    assert same_as_offline(parsed, NO_BUDGET)


async def test_without_a_key_the_parser_is_offline():
    assert build_proposer("openai", None) is None and build_proposer(None, "key") is None
    parsed = await BriefParser(None).parse(BRIEF, CONTEXT)
    assert parsed == parse_brief(BRIEF, CONTEXT)


async def test_the_containers_parser_answers_none_when_the_provider_fails(openai_fake):
    settings = SimpleNamespace(brief_llm_provider="openai", openai_api_key=SecretStr("sk-test-right"),
                               anthropic_api_key=None, openai_base_url=f"{openai_fake.url}/v1", anthropic_base_url=None)
    offline = parse_brief(BRIEF, CONTEXT)
    async with open_llm_parser(settings) as parser:
        assert parser.name == "openai"
        openai_fake.fail_next(503)
        assert await parser.parse(BRIEF, CONTEXT, offline) is None
        openai_fake.answer_next(proposal(budget_amount="7000"))
        checked = await parser.parse(BRIEF, CONTEXT, offline)
    assert checked is not None and checked.value("budget") == offline.value("budget")


async def test_no_provider_configured_is_no_llm_parser():
    settings = SimpleNamespace(brief_llm_provider=None)
    async with open_llm_parser(settings) as parser:
        assert parser is None
