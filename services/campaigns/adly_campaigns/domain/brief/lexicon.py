"""The words and phrases the parser knows, English and Arabic (Gulf, Levantine, Egyptian).

Written as merchants write them; `text.normalize` folds the spellings (أ/ا, ة/ه, ى/ي), and
Arabic clitics (و، ب، ل، ال) are stripped when matching, so each word is listed once.
"""

from __future__ import annotations

ALL_PLATFORMS = ("google_ads", "meta", "snapchat", "tiktok")

# Meta covers Facebook and Instagram (one ad account, one campaign); YouTube ads are bought
# through Google Ads, so YouTube is Google.
PLATFORMS: dict[str, tuple[str, ...]] = {
    "meta": ("meta", "facebook", "fb", "face book", "instagram", "insta", "ig", "instgram", "reels", "messenger",
             "ميتا", "فيسبوك", "فيس بوك", "فيس", "الفيس", "انستقرام", "انستغرام", "انستجرام", "انستاجرام",
             "انستا", "الانستا", "انستكرام", "ريلز"),
    "tiktok": ("tiktok", "tik tok", "tik-tok", "tt", "تيك توك", "تك توك", "تيكتوك", "تكتوك", "التيك"),
    "snapchat": ("snapchat", "snap", "snap chat", "سناب", "سناب شات", "سنابشات", "السناب"),
    "google_ads": ("google", "google ads", "youtube", "yt", "adwords", "google search", "قوقل", "جوجل", "غوغل",
                   "كوكل", "يوتيوب", "اليوتيوب"),
    "ALL": ("all platforms", "every platform", "all the platforms", "everywhere", "كل المنصات", "جميع المنصات",
            "كل المواقع", "كل البرامج", "كل التطبيقات"),
}

OBJECTIVES: dict[str, tuple[str, ...]] = {
    "sales": ("sales", "sale", "purchases", "purchase", "orders", "revenue", "roas", "more orders", "sell more",
              "مبيعه", "مبيعاتي", "نبيع", "ابيع", "يشترون", "يشترى",
              "مبيعات", "المبيعات", "بيع", "البيع", "طلبات", "اوردرات", "شراء", "مشتريات"),
    "traffic": ("traffic", "visits", "visit", "visitors", "website visits", "clicks", "زيارات", "زيارة", "زوار",
                "ترافيك", "نقرات", "كليكات", "يزورون", "يدخلون المتجر", "دخول للمتجر"),
    "awareness": ("awareness", "brand awareness", "reach", "exposure", "visibility", "views", "know us",
                  "know about us", "engagement", "followers", "انتشار", "الانتشار", "وعي", "الوعي", "شهرة",
                  "تعريف", "توعية", "التوعية", "توعيه", "تعريفية", "براند", "يعرفونا", "يعرفوننا", "اوصل", "نوصل", "الوصول", "مشاهدات", "تفاعل", "متابعين"),
    "conversions": ("conversions", "conversion", "leads", "sign ups", "signups", "registrations", "installs",
                    "downloads", "تحويلات", "التحويلات", "تسجيلات", "تسجيل", "عملاء محتملين", "تحميلات"),
}

# Currencies: an ISO code, or a family the countries of the brief resolve (a bare "ريال" is
# Saudi unless the brief is about Qatar or Oman; a bare "dinar" follows Kuwait, Bahrain, Jordan).
CURRENCIES: dict[str, tuple[str, ...]] = {
    "SAR": ("sar", "sr", "s.r", "saudi riyal", "saudi riyals", "ر.س", "ريال سعودي", "رس"),
    "riyal": ("riyal", "riyals", "rial", "rials", "ريال", "ريالات", "ريالا"),
    "AED": ("aed", "dhs", "dh", "dirham", "dirhams", "dhms", "درهم", "دراهم", "د.ا", "درهم اماراتي"),
    "KWD": ("kwd", "kd", "kuwaiti dinar", "kuwaiti dinars", "دينار كويتي", "د.ك"),
    "BHD": ("bhd", "bd", "bahraini dinar", "دينار بحريني", "د.ب"),
    "JOD": ("jod", "jd", "jordanian dinar", "دينار اردني"),
    "dinar": ("dinar", "dinars", "دينار", "دنانير"),
    "QAR": ("qar", "qr", "qatari riyal", "qatari riyals", "ريال قطري", "ر.ق"),
    "OMR": ("omr", "ro", "omani rial", "omani riyal", "ريال عماني", "ر.ع"),
    "EGP": ("egp", "le", "l.e", "egyptian pound", "egyptian pounds", "pounds", "جنيه", "جنيه مصري", "جنيها",
            "ج.م", "جنية"),
    "USD": ("usd", "$", "dollar", "dollars", "us dollars", "دولار", "دولارات", "دولار امريكي"),
    "EUR": ("eur", "euro", "euros", "€", "يورو"),
    "IQD": ("iqd", "دينار عراقي"),
}

BUDGET_CUES = ("budget", "budjet", "budgets", "spend", "spending", "ad spend", "ميزانية", "ميزانيتي", "ميزانيه",
               "بادجت", "بجت", "بجيت", "اصرف", "بصرف", "نصرف", "ادفع", "ندفع", "مبلغ", "حدود", "بحدود", "cap", "max")
DAILY = ("daily", "per day", "a day", "each day", "every day", "/day", "/ day", "day", "a-day", "يوميا", "يومي",
         "باليوم", "في اليوم", "اليوم", "كل يوم", "لليوم", "/يوم", "يوم", "ع اليوم", "على اليوم")
LIFETIME = ("total", "in total", "overall", "lifetime", "for the whole campaign", "whole campaign", "for everything",
            "all in", "entire campaign", "for the campaign", "اجمالي", "اجماليه", "الاجمالي", "الاجماليه", "كامل",
            "كامله", "بالكامل", "للحملة كاملة", "للحملة كلها", "للحمله كامله", "للحمله كلها", "طول الحملة",
            "للفترة كلها", "كلي", "كليه", "مجموع")
WEEKLY = ("weekly", "per week", "a week", "اسبوعيا", "بالاسبوع", "في الاسبوع", "كل اسبوع")
MONTHLY = ("monthly", "per month", "a month", "شهريا", "بالشهر", "في الشهر", "كل شهر")
SPLIT = ("split", "divided", "split between", "split across", "shared between", "between", "equally",
         "مقسمة", "مقسمه", "مقسومة", "مقسومه", "نقسمها", "تتقسم", "بالتساوي", "بين", "موزعة", "موزعه")
PRICE_CUES = ("price", "prices", "priced", "cost", "costs", "was", "now", "only", "just", "from", "at", "for only",
              "retail", "سعر", "السعر", "بسعر", "اسعار", "الاسعار", "سعره", "سعرها", "ب", "بـ", "فقط", "يبدا",
              "تبدا", "قيمة", "بقيمة", "ثمن")
DISCOUNT_CUES = ("off", "discount", "save", "خصم", "تخفيض", "وفر", "توفير", "كاش باك", "cashback")

GENDERS: dict[str, tuple[str, ...]] = {
    "female": ("women", "woman", "ladies", "lady", "girls", "girl", "female", "females", "moms", "mums", "mothers",
               "brides", "نساء", "النساء", "نسا", "سيدات", "السيدات", "بنات", "البنات", "حريم", "الحريم",
               "ستات", "الستات", "امهات", "الامهات", "الماميز", "نسائي", "نسائيه", "عرايس", "عرائس", "بناتي"),
    "male": ("men", "man", "guys", "boys", "male", "males", "dads", "fathers", "gents", "gentlemen", "رجال",
             "الرجال", "رجاله", "الرجاله", "رياييل", "الرياييل", "شباب", "الشباب", "رجالي", "ابهات", "اباء", "الاباء"),
    "all": ("both genders", "all genders", "men and women", "women and men", "everyone", "parents", "families",
            "couples", "للجنسين", "الجنسين", "رجال ونساء", "نساء ورجال", "العائلات", "الاهالي", "الاسر"),
}

LANGUAGES: dict[str, tuple[str, ...]] = {
    "ar": ("arabic", "arab", "عربي", "العربي", "العربية", "عربيه", "بالعربي", "باللغة العربية", "بالعربيه"),
    "en": ("english", "eng", "انجليزي", "الانجليزي", "انقليزي", "الانقليزي", "انكليزي", "الانكليزية",
           "الانجليزيه", "الانجليزية", "بالانجليزي", "بالانقليزي", "باللغة الانجليزية", "انجلش"),
    "fr": ("french", "فرنسي", "الفرنسية", "بالفرنسي"),
    "ur": ("urdu", "اردو", "الاوردو"),
    "hi": ("hindi", "هندي", "الهندية"),
}
SPEAKERS = ("speakers", "speaking", "speak", "speaks", "who speak", "ناطقين", "الناطقين", "يتكلمون", "يتحدثون",
            "متحدثي", "المتحدثين", "متحدثين", "يحكون")
CREATIVE_CUES = ("ads", "ad", "copy", "ad copy", "text", "content", "creatives", "creative", "captions", "written",
                 "write", "in", "اعلانات", "الاعلانات", "الاعلان", "اعلان", "النصوص", "النص", "الكتابة", "المحتوى",
                 "تكون", "اكتبوا", "بال")
VARIANT_WORDS = ("variants", "variant", "variations", "variation", "versions", "version", "options", "designs",
                 "design", "creatives", "copies", "ads", "ad sets", "نسخ", "نسخه", "نسخة", "تصاميم", "تصميم",
                 "خيارات", "اعلانات", "بدائل", "اشكال")
VARIANT_DUALS = {"نسختين": 2, "تصميمين": 2, "اعلانين": 2, "خيارين": 2}
NEGATIONS = ("not", "no", "without", "except", "excluding", "but not", "exclude", "بدون", "ماعدا", "ما عدا",
             "عدا", "الا", "غير", "مو", "مب", "مش", "ليس", "مافي", "بلاش", "لا")
ALL_PRODUCTS = ("all products", "whole store", "entire store", "all my products", "the store", "كل المنتجات",
                "جميع المنتجات", "المتجر كامل", "المتجر كله", "كل منتجاتي", "لمتجري", "متجري")
NAME_CUES = ("campaign name", "name it", "call it", "called", "اسم الحملة", "سمها", "سموها")

# Words that carry no plan: greetings, "I want", "campaign", joints. What is left of a brief
# after these and everything the rules used is what the parser says it did not understand.
STOP_WORDS = frozenset("""
a an the and or & + of for to in on at by with from into onto over per via as is are be am was were will would can
could should shall may might must do does did i we you u me my our ours us it its this that these those there here
please pls plz hi hello hey dear team thanks thank guys want wanna need needs like love would'd looking look get
make create run running set up start launch launching boost push promote promoting promotion advertise advertising
target targeting targeted audience audiences campaign campaigns ad ads advert adverts marketing market store shop
online website site page brand our new also just some more much lot lots very really asap soon then so if but about
around approx approximately roughly yet sure thinking think what which who how when where do you suggest recommend
can't cant dont don't im i'm we're were lets let's ok okay go live it's both each all only whole every
السلام عليكم مرحبا هلا اهلا صباح مساء الخير شكرا لو سمحت سمحتوا ممكن الله يعطيك العافيه يعطيكم
ابي ابغى ابغا ابغي ابا نبي نبغى نبغي نبا بدي بدنا عايز عايزه عايزين عاوز عاوزين ودي ودنا حاب حابين محتاج محتاجين
اريد نريد اسوي نسوي اعمل نعمل اسويلي سوي سوو اعملي نبلش ابلش نزود ازيد نزيد زيادة زياده نسوق اسوق نروج اروج
حملة حمله حملات الحملة الحمله اعلان اعلانات الاعلان الاعلانات اعلاني اعلانية ترويج تسويق متجر المتجر متجري متجرنا
محل المحل منتج منتجات المنتج المنتجات منتجي منتجاتنا براند البراند الماركة الماركه ماركة ماركه
في على عل ع من الى لى ل لل ب بال و او ف مع عن عند عندي عندنا هذا هذه هاذا هذي هاي اللي الي الذي التي ذا
انا احنا نحن هو هي هم انت انتم بتاعنا تبعنا حقنا حقي تبعي بتاعي يا ايش وش شو ايه اي متى كيف كم
الهدف هدف هدفي الهدف هو يكون تكون بس فقط كمان برضو بعد قبل جدا كثير كتير شوي حوالي تقريبا يعني مثلا حق حقت
platforms platform product products objective dates audience goal country countries city cities age gender language
languages schedule people customers clients have has yo sure across among within through anyone we'd i'd its it's بين
الموقع موقع الناس عملاء العملاء زباين الزباين المنصات المنصه المنتج الجمهور الفئه العمريه المده التاريخ الدول المدن
""".split()) | frozenset(NEGATIONS)
