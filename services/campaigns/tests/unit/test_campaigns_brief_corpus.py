"""The corpus of merchants' briefs: the parser keeps >= 95 % of fields right and invents no budget.

The same figures are `make bench` rows (bench/campaigns_brief.py); this test keeps CI honest.
"""

import re

from bench.campaigns_brief import TARGET_ACCURACY, evaluate, load_corpus

CORPUS = load_corpus()


def test_the_corpus_has_at_least_64_briefs_half_of_them_arabic():
    languages = [brief["expect"]["language"] for brief in CORPUS["briefs"]]
    assert len(languages) >= 64
    assert languages.count("ar") >= len(languages) / 2 - 1 and languages.count("en") >= len(languages) / 2 - 1


def test_the_corpus_has_briefs_without_a_budget_and_numbers_that_are_not_budgets():
    without = [b for b in CORPUS["briefs"] if b["expect"]["budget"] is None]
    assert len(without) >= 8
    assert sum(bool(re.search(r"[0-9٠-٩]", b["text"])) for b in without) >= 8


def test_the_parser_gets_at_least_95_percent_of_fields_right_and_invents_no_budget():
    result = evaluate(CORPUS)
    right, total = result["right"]["all"]
    assert result["invented"] == []
    assert right / total >= TARGET_ACCURACY, result["misses"]


def test_arabic_and_english_briefs_are_each_read_as_well():
    result = evaluate(CORPUS)
    for language in ("ar", "en"):
        right, total = result["right"][language]
        assert right / total >= TARGET_ACCURACY, language
