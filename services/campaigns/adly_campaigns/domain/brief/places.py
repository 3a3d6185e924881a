"""Countries and cities by the names merchants use, in English and Arabic."""

from __future__ import annotations

GCC = ("AE", "BH", "KW", "OM", "QA", "SA")

# Names that are the country itself; "GCC" stands for the six states of the Gulf.
COUNTRY_NAMES: dict[str, tuple[str, ...]] = {
    "SA": ("saudi arabia", "saudi", "ksa", "the kingdom", "السعودية", "المملكة العربية السعودية", "المملكة",
           "السعوديه", "ksa"),
    "AE": ("uae", "u.a.e", "emirates", "the emirates", "united arab emirates", "الامارات", "الإمارات العربية المتحدة",
           "دولة الامارات"),
    "KW": ("kuwait", "الكويت"),
    "QA": ("qatar", "قطر"),
    "BH": ("bahrain", "البحرين"),
    "OM": ("oman", "sultanate of oman", "عمان", "سلطنة عمان"),
    "EG": ("egypt", "مصر", "masr"),
    "JO": ("jordan", "الاردن"),
    "LB": ("lebanon", "لبنان"),
    "IQ": ("iraq", "العراق"),
    "PS": ("palestine", "فلسطين"),
    "SY": ("syria", "سوريا"),
    "YE": ("yemen", "اليمن"),
    "MA": ("morocco", "المغرب"),
    "DZ": ("algeria", "الجزائر"),
    "TN": ("tunisia", "تونس"),
    "LY": ("libya", "ليبيا"),
    "SD": ("sudan", "السودان"),
    "GCC": ("gcc", "gulf", "the gulf", "gulf countries", "whole gulf", "الخليج", "دول الخليج", "الخليج العربي",
            "دول مجلس التعاون", "الخليج كامل", "الخليج كله"),
}

# Adjectives of nationality: weaker evidence ("Egyptian cotton" is a product, not a target),
# used only when the brief names no country or city.
NATIONALITIES: dict[str, tuple[str, ...]] = {
    "SA": ("saudis", "سعودي", "سعوديه", "سعوديين", "سعوديات"),
    "AE": ("emirati", "emiratis", "اماراتي", "اماراتيين", "اماراتيه"),
    "KW": ("kuwaiti", "kuwaitis", "كويتي", "كويتيين", "كويتيه"),
    "QA": ("qatari", "qataris", "قطري", "قطريين"),
    "BH": ("bahraini", "bahrainis", "بحريني", "بحرينيين"),
    "OM": ("omani", "omanis", "عماني", "عمانيين"),
    "EG": ("egyptian", "egyptians", "مصري", "مصريين", "مصريه"),
    "JO": ("jordanian", "jordanians", "اردني", "اردنيين"),
    "YE": ("yemeni", "يمني", "يمنيه"),
}

# (canonical English name, country): the name a platform's city targeting looks up.
CITIES: dict[tuple[str, str], tuple[str, ...]] = {
    ("Riyadh", "SA"): ("riyadh", "riyad", "الرياض", "رياض"),
    ("Jeddah", "SA"): ("jeddah", "jedda", "jiddah", "جدة", "جده"),
    ("Makkah", "SA"): ("makkah", "mecca", "makka", "mekka", "مكة", "مكه", "مكة المكرمة"),
    ("Madinah", "SA"): ("madinah", "medina", "madina", "al madinah", "المدينة المنورة", "المدينه المنوره"),
    ("Dammam", "SA"): ("dammam", "الدمام"),
    ("Khobar", "SA"): ("khobar", "al khobar", "alkhobar", "الخبر"),
    ("Dhahran", "SA"): ("dhahran", "الظهران"),
    ("Taif", "SA"): ("taif", "الطائف"),
    ("Abha", "SA"): ("abha", "ابها"),
    ("Khamis Mushait", "SA"): ("khamis mushait", "خميس مشيط"),
    ("Tabuk", "SA"): ("tabuk", "تبوك"),
    ("Qassim", "SA"): ("qassim", "al qassim", "القصيم"),
    ("Buraidah", "SA"): ("buraidah", "buraydah", "buraida", "بريدة", "بريده"),
    ("Hail", "SA"): ("hail", "ha'il", "حائل", "حايل"),
    ("Jazan", "SA"): ("jazan", "jizan", "جازان", "جيزان"),
    ("Najran", "SA"): ("najran", "نجران"),
    ("Yanbu", "SA"): ("yanbu", "ينبع"),
    ("Al Ahsa", "SA"): ("al ahsa", "ahsa", "hofuf", "الاحساء", "الهفوف"),
    ("Dubai", "AE"): ("dubai", "دبي"),
    ("Abu Dhabi", "AE"): ("abu dhabi", "abudhabi", "ابوظبي", "ابو ظبي"),
    ("Sharjah", "AE"): ("sharjah", "الشارقة", "الشارقه"),
    ("Ajman", "AE"): ("ajman", "عجمان"),
    ("Al Ain", "AE"): ("al ain", "alain", "العين"),
    ("Ras Al Khaimah", "AE"): ("ras al khaimah", "rak", "راس الخيمة", "راس الخيمه"),
    ("Fujairah", "AE"): ("fujairah", "الفجيرة", "الفجيره"),
    ("Kuwait City", "KW"): ("kuwait city", "مدينة الكويت", "العاصمة الكويت"),
    ("Hawalli", "KW"): ("hawalli", "حولي"),
    ("Salmiya", "KW"): ("salmiya", "salmiyah", "السالمية", "السالميه"),
    ("Jahra", "KW"): ("jahra", "الجهراء"),
    ("Farwaniya", "KW"): ("farwaniya", "الفروانية", "الفروانيه"),
    ("Ahmadi", "KW"): ("ahmadi", "الاحمدي"),
    ("Doha", "QA"): ("doha", "الدوحة", "الدوحه"),
    ("Al Wakrah", "QA"): ("wakrah", "al wakrah", "الوكرة", "الوكره"),
    ("Manama", "BH"): ("manama", "المنامة", "المنامه"),
    ("Muharraq", "BH"): ("muharraq", "المحرق"),
    ("Riffa", "BH"): ("riffa", "الرفاع"),
    ("Muscat", "OM"): ("muscat", "مسقط"),
    ("Salalah", "OM"): ("salalah", "صلالة", "صلاله"),
    ("Sohar", "OM"): ("sohar", "صحار"),
    ("Nizwa", "OM"): ("nizwa", "نزوى"),
    ("Cairo", "EG"): ("cairo", "القاهرة", "القاهره", "مصر الجديدة"),
    ("Alexandria", "EG"): ("alexandria", "alex", "الاسكندرية", "الاسكندريه", "اسكندرية", "اسكندريه"),
    ("Giza", "EG"): ("giza", "الجيزة", "الجيزه"),
    ("Mansoura", "EG"): ("mansoura", "المنصورة", "المنصوره"),
    ("Tanta", "EG"): ("tanta", "طنطا"),
    ("Amman", "JO"): ("amman",),
    ("Irbid", "JO"): ("irbid", "اربد"),
    ("Zarqa", "JO"): ("zarqa", "الزرقاء"),
    ("Aqaba", "JO"): ("aqaba", "العقبة", "العقبه"),
    ("Beirut", "LB"): ("beirut", "بيروت"),
    ("Baghdad", "IQ"): ("baghdad", "بغداد"),
    ("Erbil", "IQ"): ("erbil", "اربيل"),
}

COUNTRY_NAMES_EN = {
    "SA": "Saudi Arabia", "AE": "the UAE", "KW": "Kuwait", "QA": "Qatar", "BH": "Bahrain", "OM": "Oman",
    "EG": "Egypt", "JO": "Jordan", "LB": "Lebanon", "IQ": "Iraq", "PS": "Palestine",
}
COUNTRY_NAMES_AR = {
    "SA": "السعودية", "AE": "الإمارات", "KW": "الكويت", "QA": "قطر", "BH": "البحرين", "OM": "عُمان",
    "EG": "مصر", "JO": "الأردن", "LB": "لبنان", "IQ": "العراق", "PS": "فلسطين",
}
KNOWN_COUNTRIES = frozenset(code for code in COUNTRY_NAMES if code != "GCC")
