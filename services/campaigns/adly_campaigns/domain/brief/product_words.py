"""Shop words in both languages, so "oud perfume" finds «عطر العود» and «عبايات» finds
"Abaya": each line is one thing, named the ways merchants in the region name it.

QUALITIES describe a product (colour, material, origin) without naming it: they count toward
a match but never pick a product alone ("black" is not the black abaya; "Black Friday" isn't).
"""

from __future__ import annotations

THINGS: dict[str, tuple[str, ...]] = {
    "perfume": ("perfume", "perfumes", "fragrance", "fragrances", "scent", "عطر", "عطور", "عطورات", "برفان"),
    "oud": ("oud", "oudh", "agarwood", "عود", "دهن عود"),
    "musk": ("musk", "مسك"),
    "bakhoor": ("bakhoor", "bukhoor", "bakhour", "incense", "بخور", "دخون", "مبخر"),
    "abaya": ("abaya", "abayas", "abayah", "abaaya", "عباية", "عبايات", "عبايه", "عباءة", "عباءات"),
    "hijab": ("hijab", "hijabs", "shayla", "sheila", "scarf", "طرحة", "طرح", "شيلة", "شيلات", "حجاب", "لفة"),
    "thobe": ("thobe", "thobes", "thawb", "dishdasha", "kandura", "ثوب", "ثياب", "دشداشة", "كندورة"),
    "galabeya": ("galabeya", "galabiya", "jalabiya", "jalabiyas", "جلابية", "جلابيه", "جلابيات", "جلاليب"),
    "dress": ("dress", "dresses", "فستان", "فساتين"),
    "sneakers": ("sneakers", "sneaker", "trainers", "سنيكرز", "سنيكر", "كوتشي", "كوتش", "كوتشيات"),
    "shoes": ("shoes", "shoe", "footwear", "حذاء", "احذية", "جزمة", "جزم"),
    "bag": ("bag", "bags", "handbag", "شنطة", "شنط", "حقيبة", "حقائب"),
    "watch": ("watch", "watches", "smartwatch", "ساعة", "ساعات"),
    "case": ("case", "cases", "cover", "covers", "جراب", "كفر", "كفرات"),
    "headset": ("headset", "headsets", "headphones", "earphones", "سماعة", "سماعات"),
    "dates": ("dates", "تمر", "تمور", "رطب"),
    "coffee": ("coffee", "قهوة", "قهوه", "بن", "كوفي"),
    "honey": ("honey", "عسل"),
    "oil": ("oil", "زيت", "زيوت"),
    "olive": ("olive", "olives", "زيتون"),
    "serum": ("serum", "serums", "سيروم", "سيرم"),
    "vitamin": ("vitamin", "vitamin c", "فيتامين", "فيتامين سي", "فيتامين c"),
    "sunscreen": ("sunscreen", "sunblock", "sun block", "واقي شمس", "واقي الشمس", "واقي شمسي", "الواقي الشمسي",
                  "واقي"),
    "skincare": ("skincare", "skin care", "العناية بالبشرة", "عناية بالبشرة", "العنايه بالبشره", "منتجات البشرة"),
    "blocks": ("blocks", "lego", "مكعبات", "ليغو", "ليجو"),
    "toys": ("toys", "toy", "العاب الاطفال", "العاب", "لعب"),
    "kids": ("kids", "children", "child", "baby", "اطفال", "الاطفال", "اولاد", "بيبي"),
    "box": ("box", "boxes", "علبة", "علب", "بوكس"),
    "collection": ("collection", "collections", "مجموعة", "مجموعات", "كولكشن", "تشكيلة"),
    "pantry": ("pantry", "groceries", "grocery", "مؤونة", "بقالة"),
    "accessories": ("accessories", "اكسسوارات", "إكسسوارات"),
    "electronics": ("electronics", "الكترونيات", "إلكترونيات"),
    "sukkari": ("sukkari", "sukari", "sukary", "سكري", "السكري"),
    "sidr": ("sidr", "sedr", "سدر"),
    "cardamom": ("cardamom", "هيل", "حبهان"),
    "iphone": ("iphone", "ايفون", "آيفون"),
    "face": ("face", "وجه", "بشرة"),
    "gaming": ("gaming", "gamer", "games", "جيمنج", "جيمينج", "قيمنق", "قيمنج"),
}
QUALITIES: dict[str, tuple[str, ...]] = {
    "white": ("white", "ابيض", "بيضاء", "بيضا", "البيض"),
    "black": ("black", "اسود", "سوداء", "سودا", "السود"),
    "navy": ("navy", "navy blue", "كحلي"),
    "royal": ("royal", "ملكي", "الملكي", "ملكية"),
    "classic": ("classic", "classical", "كلاسيك", "كلاسيكي", "كلاسيكية"),
    "embroidered": ("embroidered", "embroidery", "مطرز", "مطرزة", "مطرزه", "تطريز"),
    "chiffon": ("chiffon", "شيفون"),
    "leather": ("leather", "جلد", "جلدي", "جلدية"),
    "cotton": ("cotton", "قطن", "قطني"),
    "smart": ("smart", "ذكي", "ذكية", "ذكيه"),
    "virgin": ("virgin", "extra virgin", "بكر"),
    "premium": ("premium", "luxury", "luxurious", "ممتاز", "فاخر", "فاخرة", "فخم"),
    "floral": ("floral", "flowery", "flowers", "ورد", "الورد", "مورد", "ورود"),
    "summer": ("summer", "صيف", "صيفي", "صيفية"),
    "winter": ("winter", "شتاء", "شتوي"),
    "saudi": ("saudi", "سعودي", "سعودية", "سعوديه"),
    "egyptian": ("egyptian", "مصري", "مصرية"),
    "yemeni": ("yemeni", "يمني", "يمنية"),
    "men": ("men", "mens", "men's", "رجالي", "رجالية", "للرجال"),
    "women": ("women", "womens", "women's", "ladies", "نسائي", "نسائية", "حريمي"),
    "handmade": ("handmade", "hand made", "يدوي", "صناعة يدوية"),
    "pro": ("pro",),
    "building": ("building", "بناء", "تركيب"),
}
COLLECTION_CUES = ("collection", "all", "range", "line", "category", "products", "store", "shop", "مجموعة",
                   "كل", "جميع", "منتجات", "تشكيلة", "قسم", "متجر", "محل")
UNITS = ("ml", "مل", "g", "gr", "غرام", "جرام", "kg", "كيلو", "l", "لتر", "pcs", "قطعة", "قطع", "حبة", "x", "size")
