"""The lab shop's lexicon: every attribute value with the many ways English can say it.

Each attribute value has three voices, written so that they rarely share words:

- ``item``: what a product description says ("Keeps the rain out.", "Shrugs off a downpour.");
- ``query``: what a shopper types into the search box ("rainproof", "for wet weather");
- ``interest``: how a user describes a liking in a profile ("walks in the rain").

The phrases of one value are real English synonyms and paraphrases, the kind a pretrained
sentence encoder has met in its training text, so meaning links them where words do not. An
item's category shows only through its product noun ("tent", "sleeping bag"): the category's
name is never written, so a lexical model cannot match two outdoor items that name different
products, while a language model knows that both are camping gear.

Brands sell across all categories and each has a voice (its own openers and closers): that
varies the wording independently of what the product is. A title is a style word and the noun
("Rugged Garden Hose"), so the style is always stated; the other attributes now and then not.
"""

from __future__ import annotations

# Product nouns by category, with the category's price range in dollars (log-uniform).
CATEGORIES: dict[str, dict] = {
    "outdoor": {
        "nouns": ["tent", "sleeping bag", "hiking backpack", "trekking poles", "camping stove",
                  "headlamp", "hammock", "water filter", "camping lantern",
                  "bivvy sack", "compass", "camp chair"],
        "price": (15.0, 320.0),
    },
    "kitchen": {
        "nouns": ["chef's knife", "cast iron skillet", "cutting board", "mixing bowls",
                  "saucepan", "dutch oven", "baking tray", "spice rack", "colander", "rolling pin",
                  "wok", "potato masher"],
        "price": (8.0, 220.0),
    },
    "coffee_tea": {
        "nouns": ["French press", "espresso machine", "burr grinder", "gooseneck kettle",
                  "teapot", "milk frother", "cold brew maker", "loose-leaf tea sampler",
                  "moka pot", "tea infuser", "coffee scale", "espresso cups"],
        "price": (10.0, 400.0),
    },
    "audio": {
        "nouns": ["headphones", "earbuds", "portable speaker", "soundbar", "turntable",
                  "radio", "microphone", "amplifier", "subwoofer", "stylus cartridge",
                  "DAC", "bookshelf speakers"],
        "price": (15.0, 450.0),
    },
    "fitness": {
        "nouns": ["yoga mat", "dumbbells", "kettlebell", "resistance bands", "jump rope",
                  "foam roller", "pull-up bar", "rowing machine", "weight bench", "ab wheel",
                  "medicine ball", "agility ladder"],
        "price": (8.0, 500.0),
    },
    "skincare": {
        "nouns": ["face serum", "moisturiser", "cleanser", "lip balm", "sunscreen",
                  "night cream", "body lotion", "face mask", "toner", "eye cream",
                  "exfoliating scrub", "hand cream"],
        "price": (5.0, 120.0),
    },
    "pets": {
        "nouns": ["dog leash", "cat tree", "pet bed", "chew toy", "litter box", "pet feeder",
                  "dog harness", "cat carrier", "fish tank", "bird feeder",
                  "pet shampoo", "scratching post"],
        "price": (6.0, 180.0),
    },
    "gardening": {
        "nouns": ["watering can", "pruning shears", "garden hose", "planter", "seed starter kit",
                  "trowel", "compost bin", "wheelbarrow", "rake", "lawn sprinkler",
                  "flower pots", "hedge trimmer"],
        "price": (6.0, 250.0),
    },
    "home_decor": {
        "nouns": ["scented candle", "throw pillow", "table lamp", "wall clock", "vase",
                  "area rug", "picture frame", "throw blanket", "wall mirror", "curtains",
                  "bookends", "ceramic bowl"],
        "price": (8.0, 300.0),
    },
    "workspace": {
        "nouns": ["fountain pen", "notebook", "desk lamp", "office chair", "monitor stand",
                  "desk organiser", "keyboard", "planner", "stapler", "desk mat",
                  "paper tray", "whiteboard"],
        "price": (4.0, 400.0),
    },
}

# How shoppers and profiles refer to a category as a whole.
CATEGORY_VOICES: dict[str, dict[str, list[str]]] = {
    "outdoor": {"query": ["camping gear", "outdoor kit", "hiking equipment", "backpacking gear"],
                "interest": ["nights under the stars", "camping and hiking",
                             "spending time in nature"]},
    "kitchen": {"query": ["cookware", "kitchen tools", "cooking utensils", "pots and pans"],
                "interest": ["cooking for friends", "trying new recipes",
                             "making dinner from scratch"]},
    "coffee_tea": {"query": ["coffee equipment", "tea things", "brewing gear",
                             "barista tools"],
                   "interest": ["a good cup of coffee", "brewing tea", "cafe-style drinks"]},
    "audio": {"query": ["sound system", "music gear", "audio equipment", "hi-fi"],
              "interest": ["listening to music", "podcasts and vinyl records",
                           "great sound quality"]},
    "fitness": {"query": ["workout equipment", "home gym gear", "exercise equipment",
                          "training kit"],
                "interest": ["working out", "keeping fit", "lifting weights and yoga"]},
    "skincare": {"query": ["skin care products", "beauty products", "face care",
                           "cosmetics"],
                 "interest": ["a good skincare routine", "looking after my skin",
                              "beauty products"]},
    "pets": {"query": ["pet supplies", "dog stuff", "cat accessories", "things for my pet"],
             "interest": ["my dog", "spoiling my cat", "animals and pets"]},
    "gardening": {"query": ["gardening tools", "garden supplies", "yard tools",
                         "plant care gear"],
               "interest": ["growing vegetables", "gardening", "looking after my plants"]},
    "home_decor": {"query": ["home decor", "decorations for the living room",
                             "interior accessories", "house decor"],
                   "interest": ["decorating my flat", "interior design",
                                "making the house feel like home"]},
    "workspace": {"query": ["office supplies", "stationery", "desk accessories",
                       "workspace gear"],
             "interest": ["a tidy workspace", "writing by hand", "stationery"]},
}

# The semantic attributes beside category. Every value has item, query and interest voices.
ATTRIBUTES: dict[str, dict[str, dict[str, list[str]]]] = {
    "use": {
        "outdoors": {
            "item": ["Made for the mountains.", "Trail-ready from the first step.",
                     "Built for hiking and camping trips.",
                     "Happiest far from the road, on a hillside path.",
                     "Your companion for adventures in the wild.",
                     "Great for weekends in the backcountry."],
            "query": ["for hiking", "for camping", "for the mountains", "for trekking",
                      "for outdoor adventures", "for the trail"],
            "interest": ["weekends in the mountains", "long walks in the hills",
                         "exploring the wilderness"],
        },
        "travel": {
            "item": ["Packs small for your next trip.", "A globetrotter's best friend.",
                     "Made for life on the road.", "Easy to take along on holiday.",
                     "Fits neatly in a carry-on.", "Built for journeys abroad."],
            "query": ["for travel", "for trips", "travel size", "portable", "for holidays",
                      "for flights"],
            "interest": ["seeing the world", "backpacking across countries",
                         "long journeys by train and plane"],
        },
        "relaxing": {
            "item": ["For cosy nights in.", "Made for slow, lazy Sundays at home.",
                     "Helps you unwind after a long day.", "Perfect for lounging on the sofa.",
                     "Brings calm to quiet evenings."],
            "query": ["for relaxing at home", "cosy", "for lazy weekends", "to unwind",
                      "for chilling out"],
            "interest": ["quiet evenings at home", "slow mornings", "taking it easy"],
        },
        "work": {
            "item": ["Keeps you productive through the workday.", "Built for the home office.",
                     "A smart addition to your nine-to-five.", "Made for busy working days.",
                     "Ideal for remote work and meetings."],
            "query": ["for work", "for the office", "for working from home",
                      "for my job", "for remote work"],
            "interest": ["getting things done", "my career", "a productive working day"],
        },
        "active": {
            "item": ["Keeps up with your training.", "Made for workouts and the gym.",
                     "For an active, sporty lifestyle.", "Ready for your morning run.",
                     "Moves with you while you exercise."],
            "query": ["for workouts", "for the gym", "for training", "for running",
                      "for sport"],
            "interest": ["staying in shape", "marathon training", "sport"],
        },
        "gifting": {
            "item": ["Makes a thoughtful gift.", "A present they will love.",
                     "Perfect for birthdays and holidays.", "Wrap it up for someone special.",
                     "The kind of surprise people remember."],
            "query": ["gift", "present", "birthday gift", "gift idea", "for a present"],
            "interest": ["finding presents for friends", "surprising people",
                         "giving gifts"],
        },
    },
    "style": {
        "minimalist": {
            "title": ["Minimalist", "Minimal", "Understated", "Sleek", "Pared-Back"],
            "item": ["Clean lines and nothing extra.", "A simple, uncluttered design.",
                     "Quietly understated looks.", "Less is more: a pared-back shape."],
            "query": ["minimalist", "simple", "plain", "clean design", "sleek"],
            "interest": ["simple, uncluttered things", "a minimalist look",
                         "owning less but better"],
        },
        "vintage": {
            "title": ["Vintage", "Retro", "Old-School", "Heritage", "Nostalgic"],
            "item": ["Old-fashioned charm with a retro feel.",
                     "Inspired by designs from the 1970s.", "A nostalgic throwback look.",
                     "Timeless, antique-style details."],
            "query": ["retro", "vintage", "old style", "nostalgic", "antique look"],
            "interest": ["anything from the past", "old-fashioned things", "flea markets"],
        },
        "rugged": {
            "title": ["Rugged", "Heavy-Duty", "Tough", "Industrial", "Hard-Wearing"],
            "item": ["Built like a tank.", "Tough enough for rough handling.",
                     "A sturdy, no-nonsense build.", "Takes a beating and keeps going."],
            "query": ["tough", "sturdy", "heavy duty", "durable", "robust"],
            "interest": ["gear that can take a beating", "things that last forever",
                         "solid, durable tools"],
        },
        "elegant": {
            "title": ["Elegant", "Refined", "Sophisticated", "Graceful", "Polished"],
            "item": ["A refined, polished finish.", "Sophisticated good looks.",
                     "Graceful details throughout.", "Elegance you notice at first glance."],
            "query": ["elegant", "classy", "stylish", "chic", "sophisticated"],
            "interest": ["refined, classy design", "beautiful objects", "good taste"],
        },
        "playful": {
            "title": ["Playful", "Colourful", "Cheerful", "Bright", "Whimsical"],
            "item": ["Bold colours that make you smile.", "A cheerful, fun design.",
                     "Bright and playful from every angle.", "Full of colour and personality."],
            "query": ["colourful", "fun", "bright", "cute", "vibrant"],
            "interest": ["bright, cheerful colours", "fun designs", "quirky things"],
        },
    },
    "feature": {
        "waterproof": {
            "item": ["Waterproof.", "Keeps the rain out.", "Shrugs off a downpour.",
                     "Water-resistant and splash-proof.", "Stays dry in wet weather."],
            "query": ["waterproof", "rainproof", "water resistant", "for rainy weather"],
            "interest": ["walks in the rain", "not minding bad weather"],
        },
        "lightweight": {
            "item": ["Feather-light.", "Barely weighs a thing.", "Light and easy to carry.",
                     "So light you forget it is there.", "An ultralight build."],
            "query": ["lightweight", "light", "ultralight", "not heavy"],
            "interest": ["travelling light", "carrying as little as possible"],
        },
        "eco": {
            "item": ["Made from recycled materials.", "Eco-friendly from start to finish.",
                     "Kind to the planet.", "Sustainably sourced.",
                     "A low environmental footprint."],
            "query": ["eco", "sustainable", "recycled", "environmentally friendly"],
            "interest": ["living sustainably", "protecting the environment",
                         "reducing waste"],
        },
        "handmade": {
            "item": ["Handcrafted by skilled artisans.", "Made by hand in a small workshop.",
                     "Artisan-made, so each one is unique.", "Crafted by hand with care."],
            "query": ["handmade", "handcrafted", "artisan", "hand made"],
            "interest": ["supporting craftspeople", "one-of-a-kind pieces",
                         "traditional craftsmanship"],
        },
        "smart": {
            "item": ["Connects to your phone.", "App-controlled smart features.",
                     "Pairs with your smartphone over Bluetooth.", "Smart and connected."],
            "query": ["smart", "app controlled", "wifi", "connected", "with an app"],
            "interest": ["the latest gadgets", "new technology", "smart home devices"],
        },
    },
    "audience": {
        "beginners": {
            "item": ["Easy for first-timers.", "Great for beginners.", "No experience needed.",
                     "A perfect starter for newcomers.", "Simple to learn and use."],
            "query": ["for beginners", "beginner", "starter", "for a newbie"],
            "interest": ["learning new hobbies", "picking up new skills"],
        },
        "experts": {
            "item": ["Professional-grade.", "For serious enthusiasts.", "Trusted by experts.",
                     "Pro-level performance.", "Made for people who know their craft."],
            "query": ["professional", "pro", "for experts", "advanced"],
            "interest": ["getting serious about my hobbies", "mastering my craft"],
        },
        "kids": {
            "item": ["Family-friendly.", "Safe for children.", "Loved by kids.",
                     "Great for little ones.", "Suits the whole family."],
            "query": ["for kids", "for children", "kid-friendly", "for my son",
                      "for my daughter"],
            "interest": ["my children", "family days out", "time with the kids"],
        },
        "seniors": {
            "item": ["Easy to grip and handle.", "Designed with older adults in mind.",
                     "Comfortable for seniors.", "Gentle on ageing hands.",
                     "Large, easy-to-read controls."],
            "query": ["for seniors", "for the elderly", "for my grandma", "for older people"],
            "interest": ["my grandparents", "comfort in retirement"],
        },
    },
    "price_band": {
        "budget": {
            "item": ["Affordable.", "Budget-friendly.", "Won't break the bank.",
                     "Great value for little money.", "Easy on the wallet."],
            "query": ["cheap", "budget", "affordable", "inexpensive", "low cost"],
            "interest": ["a good bargain", "saving money"],
        },
        "mid_range": {
            "item": ["Fairly priced.", "Reasonably priced.", "Sensible value.",
                     "A fair price for what you get."],
            "query": ["mid-range", "decent", "not too expensive", "moderately priced"],
            "interest": ["good value for money", "sensible spending"],
        },
        "premium": {
            "item": ["Luxury quality.", "A premium pick.", "High-end.", "Top of the line.",
                     "Worth the splurge."],
            "query": ["luxury", "high-end", "premium", "top quality", "best"],
            "interest": ["the finer things", "luxury", "quality over price"],
        },
    },
}

PRICE_BAND_EDGES = (25.0, 90.0)  # budget < $25 <= mid_range < $90 <= premium

# Brands sell everything; each has a voice: openers before the product, closers after it.
BRAND_VOICES: dict[str, dict[str, list[str]]] = {
    "Vestra": {"opener": ["Meet the {noun}.", "Say hello to the {noun}."],
               "closer": ["Enjoy.", ""]},
    "Kolbe": {"opener": ["Introducing the {noun}.", "Presenting the {noun}."],
              "closer": ["Designed in-house.", ""]},
    "Norrin": {"opener": ["Our {noun}, simply put.", "This {noun} is one of ours."],
               "closer": ["No fuss.", ""]},
    "Ambry": {"opener": ["{noun}, model K{number}.", "Specification: {noun}."],
              "closer": ["Two-year warranty.", ""]},
    "Tevani": {"opener": ["Here it is: the {noun}.", "Look, a {noun}!"],
               "closer": ["Order today.", ""]},
    "Orlo": {"opener": ["A {noun} made the honest way.", "The dependable {noun}."],
             "closer": ["Since 1952.", ""]},
    "Marlow": {"opener": ["The {noun}, reimagined.", "A new take on the {noun}."],
               "closer": ["Made to be noticed.", ""]},
    "Sennet": {"opener": ["{noun}.", "Item: {noun}."],
               "closer": ["Free returns.", ""]},
}

# Review wording by star rating: openers name the product, closers give the verdict.
REVIEW_OPENERS: dict[int, list[str]] = {
    1: ["Really disappointed with this {noun}.", "The {noun} stopped working in a week.",
        "I regret buying this {noun}."],
    2: ["The {noun} feels flimsy.", "This {noun} did not live up to the description.",
        "Not impressed by the {noun}."],
    3: ["The {noun} is okay.", "An average {noun}, nothing special.",
        "This {noun} does the job, mostly."],
    4: ["Happy with this {noun}.", "The {noun} works well.", "A solid {noun}."],
    5: ["I absolutely love this {noun}!", "Best {noun} I have owned.",
        "This {noun} exceeded my expectations."],
}
REVIEW_CLOSERS: dict[int, list[str]] = {
    1: ["Waste of money.", "Sent it straight back."],
    2: ["Expected more for the price.", "Would not order again."],
    3: ["Fine, but I have seen better.", "It is acceptable."],
    4: ["Good quality overall.", "Would recommend."],
    5: ["Fantastic buy.", "Will definitely buy again."],
}

# Sentences that weave a user's stated interests into a profile description.
PROFILE_TEMPLATES = (
    "Into {a} and {b}.",
    "I care about {a}; also {b}.",
    "Big fan of {a}. Lately: {b}.",
    "Mostly shopping with {a} in mind, plus {b}.",
)
QUERY_TEMPLATES = (
    "{attrs} {category}",
    "{category} {attrs}",
    "{attrs} {category} please",
    "looking for {category} {attrs}",
)
