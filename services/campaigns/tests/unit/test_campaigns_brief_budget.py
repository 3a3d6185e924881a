"""The budget: read as the merchant wrote it, never invented."""

from datetime import date

from adly_campaigns.domain.brief import BriefContext, parse_brief

TODAY = date(2026, 5, 13)   # a Wednesday


def parse(text: str, *, time_zone: str = "Asia/Riyadh", countries: tuple[str, ...] = ("SA",)):
    return parse_brief(text, BriefContext(today=TODAY, time_zone=time_zone, default_countries=countries))


def budget(text: str, **context):
    return parse(text, **context).value("budget")


def test_a_brief_without_a_budget_asks_for_one():
    parsed = parse("want to promote our abayas to ladies in riyadh on instagram, starting tomorrow")
    assert parsed.value("budget") is None
    assert [q.field for q in parsed.questions] == ["budget"]
    assert parsed.plan() is None


def test_the_question_for_a_missing_budget_is_in_the_language_of_the_brief():
    question = parse("ابي حملة سناب للبخور في الرياض").questions[0]
    assert question.field == "budget" and "كم" in question.message


def test_arabic_indic_digits_read_as_the_budget():
    assert budget("الميزانية ٢٠٠ ريال يوميا على سناب") == {"amount": "200", "currency": "SAR", "kind": "daily"}


def test_arabic_thousands_separator_and_extended_digits_read_as_one_amount():
    assert budget("ميزانية ١٬٥٠٠ درهم إجمالي")["amount"] == "1500"
    assert budget("ميزانية ۲۵۰ ریال یومیا")["amount"] == "250"


def test_number_words_read_as_amounts_in_both_languages():
    assert budget("ميتين درهم يوميا على الانستا")["amount"] == "200"
    assert budget("مية وخمسين درهم كل يوم")["amount"] == "150"
    assert budget("الميزانية الف ونص ريال إجمالي")["amount"] == "1500"
    assert budget("عايز أصرف ألفين جنيه على تيك توك")["amount"] == "2000"
    assert budget("budget two hundred SAR a day")["amount"] == "200"
    assert budget("total budget 5k AED")["amount"] == "5000"
    assert budget("ميزانية ٥ آلاف ريال")["amount"] == "5000"


def test_currency_words_and_symbols_name_their_currency():
    cases = {
        "200 ر.س يوميا": "SAR", "200 SR daily": "SAR", "١٠٠ درهم يوميا": "AED", "30 KD daily": "KWD",
        "٤٠ دينار بحريني يوميا": "BHD", "٢٠٠ ريال قطري يوميا": "QAR", "١٥ ريال عماني يوميا": "OMR",
        "٥٠٠ جنيه في اليوم": "EGP", "$40/day": "USD", "٣٠ دولار يوميا": "USD", "15 JOD/day": "JOD",
    }
    for text, currency in cases.items():
        assert budget(text)["currency"] == currency, text


def test_a_bare_riyal_or_dinar_is_the_one_of_the_country_the_brief_is_about():
    assert budget("حملة في قطر، ٢٠٠ ريال يوميا")["currency"] == "QAR"
    assert budget("حملة في الرياض، ٢٠٠ ريال يوميا")["currency"] == "SAR"
    assert budget("البحرين، ٦٠ دينار يوميا")["currency"] == "BHD"
    assert budget("بالكويت، ٥٠ دينار يومياً", countries=("KW",))["currency"] == "KWD"


def test_an_amount_without_a_currency_is_kept_and_the_currency_is_asked():
    parsed = parse("عايز اعلان على الفيس، الميزانية ٣٠٠ في اليوم", time_zone="Africa/Cairo", countries=("EG",))
    assert parsed.value("budget") == {"amount": "300", "currency": None, "kind": "daily"}
    assert "budget.currency" in [q.field for q in parsed.questions]
    assert parsed.plan() is None


def test_per_day_and_in_total_words_give_the_kind():
    assert budget("budget 200 SAR per day")["kind"] == "daily"
    assert budget("٢٥٠٠ ر.س إجمالي")["kind"] == "lifetime"
    assert budget("lifetime budget 8000 SAR")["kind"] == "lifetime"
    assert budget("ميزانيتي ١٠٠٠ ريال للحملة كاملة")["kind"] == "lifetime"


def test_a_budget_of_unsaid_kind_is_total_when_the_brief_has_an_end_and_the_merchant_is_asked():
    with_end = parse("10,000 dirhams for 30 days starting June 1st")
    without_end = parse("ميزانية ٥٠٠ ريال على سناب")
    assert with_end.value("budget")["kind"] == "lifetime"
    assert without_end.value("budget")["kind"] == "daily"
    assert "budget.kind" in [q.field for q in with_end.questions]
    assert with_end.fields["budget"].confidence <= 0.6


def test_percentages_ages_durations_and_sizes_are_not_budgets():
    for text in ("20% off on all skincare, women 18-35, instagram",
                 "عندنا خصم ٣٠٪ على العطور، لمدة ٥ أيام",
                 "our olive oil 1L bottles, 500 pcs blocks, iphone 16 case, snapchat",
                 "عرض اشتر ٢ واحصل على ١ مجاناً، سيروم ٥٠ مل"):
        assert budget(text) is None, text


def test_a_price_is_not_a_budget():
    assert budget("sizes S to XL, prices from 199 QAR, instagram in Qatar") is None
    assert budget("عطر العود بسعر ٢٥٠ ريال، سناب في الرياض") is None
    assert budget("علبة التمر ب ٩٩ ريال بدل ١٤٩، سناب") is None


def test_a_price_and_a_budget_in_one_brief_keep_their_roles():
    assert budget("عطر العود بسعر ٢٥٠ ريال، والميزانية ١٠٠ ريال يوميا")["amount"] == "100"


def test_the_same_budget_runs_on_every_platform_unless_the_brief_splits_it():
    plan = parse("budget 200 SAR per day on snap and tiktok in Saudi").plan()
    assert plan is not None
    assert [(b.platform.value, str(b.budget.amount.amount)) for b in plan.budgets] == [("snapchat", "200"),
                                                                                       ("tiktok", "200")]


def test_a_budget_split_between_platforms_is_shared_equally():
    parsed = parse("الميزانية ٥٠٠ ريال يوميا مقسمة على سناب وتيك توك")
    assert parsed.value("budget")["per_platform"] == {"snapchat": "250", "tiktok": "250"}
    plan = parsed.plan()
    assert plan is not None and {str(b.budget.amount.amount) for b in plan.budgets} == {"250"}


def test_an_amount_per_platform_gives_each_platform_its_own_budget():
    parsed = parse("100 on snap and 200 on tiktok per day (SAR), riyadh only")
    assert parsed.value("budget") == {"amount": "300", "currency": "SAR", "kind": "daily",
                                      "per_platform": {"snapchat": "100", "tiktok": "200"}}


def test_a_weekly_budget_runs_as_its_daily_share():
    assert budget("700 SAR per week on snapchat") == {"amount": "100", "currency": "SAR", "kind": "daily"}


def test_the_budget_says_where_it_came_from():
    parsed = parse("Hi, ads on Snapchat. Budget 200 SAR per day.")
    source = parsed.fields["budget"].source
    assert source is not None and source.text == "200 SAR per day"
    assert parsed.fields["budget"].confidence >= 0.9
