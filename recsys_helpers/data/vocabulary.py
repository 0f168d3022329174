"""Word lists from which the synthetic shop writes its product titles, descriptions and reviews.

Each category carries its own nouns, uses, materials and brands, so the text of an item says what
it is: a pretrained language model can read the category and the price band off the words, while
an ID-based model sees only an opaque item number.
"""

from __future__ import annotations

CATEGORIES: dict[str, dict] = {
    "coffee": {
        "nouns": ["espresso grinder", "pour-over kettle", "French press", "milk frother",
                  "coffee bean sampler", "cold brew maker", "espresso machine",
                  "travel coffee mug"],
        "uses": ["a richer morning brew", "slow weekend coffee", "barista-style lattes at home",
                 "fresh coffee on the go"],
        "materials": ["stainless steel", "ceramic", "borosilicate glass", "copper"],
        "brands": ["Roastline", "Brewhaus", "Crema & Co"],
        "price": (12.0, 180.0),
    },
    "kitchen": {
        "nouns": ["chef's knife", "cast iron skillet", "cutting board", "mixing bowl set",
                  "nonstick frying pan", "spice rack", "salad spinner", "dutch oven"],
        "uses": ["everyday home cooking", "prepping family dinners", "searing and roasting",
                 "an organised kitchen"],
        "materials": ["cast iron", "bamboo", "stainless steel", "enamelled steel"],
        "brands": ["Hearthware", "Sliceright", "Panterra"],
        "price": (10.0, 160.0),
    },
    "audio": {
        "nouns": ["wireless earbuds", "noise-cancelling headphones", "Bluetooth speaker",
                  "soundbar", "turntable", "portable radio", "studio microphone", "earphones"],
        "uses": ["music on your commute", "movie nights with deep bass", "calls and podcasts",
                 "hi-fi listening at home"],
        "materials": ["aluminium", "matte plastic", "walnut wood", "silicone"],
        "brands": ["Sonora", "Bassline", "Auralis"],
        "price": (18.0, 320.0),
    },
    "books": {
        "nouns": ["mystery novel", "cookbook", "science fiction paperback", "history book",
                  "children's picture book", "travel guide", "poetry collection", "biography"],
        "uses": ["quiet evenings of reading", "a long flight", "learning something new",
                 "reading aloud at bedtime"],
        "materials": ["hardcover", "paperback", "illustrated hardcover", "large-print paperback"],
        "brands": ["Inkwell Press", "Lantern Books", "Northpage"],
        "price": (6.0, 45.0),
    },
    "toys": {
        "nouns": ["building blocks set", "jigsaw puzzle", "plush teddy bear", "remote control car",
                  "board game", "wooden train set", "doll house", "science kit"],
        "uses": ["creative play for kids", "family game night", "a birthday surprise",
                 "hands-on learning"],
        "materials": ["wood", "plush fabric", "recycled plastic", "cardboard"],
        "brands": ["Playnest", "Tinkertown", "Jollybox"],
        "price": (8.0, 120.0),
    },
    "outdoor": {
        "nouns": ["camping tent", "hiking backpack", "sleeping bag", "trekking poles",
                  "camping stove", "headlamp", "water filter bottle", "folding camp chair"],
        "uses": ["weekend camping trips", "long hikes in the mountains", "backpacking adventures",
                 "nights under the stars"],
        "materials": ["ripstop nylon", "aluminium", "waterproof polyester", "titanium"],
        "brands": ["Trailmark", "Summitgear", "Pinecrest"],
        "price": (15.0, 300.0),
    },
    "fitness": {
        "nouns": ["yoga mat", "adjustable dumbbells", "resistance bands", "jump rope",
                  "foam roller", "kettlebell", "fitness tracker", "exercise bike"],
        "uses": ["home workouts", "strength training", "stretching after a run",
                 "tracking daily activity"],
        "materials": ["natural rubber", "neoprene", "cast iron", "TPE foam"],
        "brands": ["Corefit", "Ironpulse", "Flexora"],
        "price": (9.0, 400.0),
    },
    "beauty": {
        "nouns": ["face serum", "moisturising cream", "shampoo", "lip balm set", "hair dryer",
                  "perfume", "makeup brush set", "sunscreen lotion"],
        "uses": ["a daily skincare routine", "soft and shiny hair", "sensitive skin",
                 "a fresh look every morning"],
        "materials": ["vegan formula", "organic aloe", "argan oil", "hyaluronic acid"],
        "brands": ["Lumiere", "Purebloom", "Velvetia"],
        "price": (5.0, 110.0),
    },
    "pets": {
        "nouns": ["dog leash", "cat scratching post", "pet bed", "dog chew toy", "cat litter box",
                  "automatic pet feeder", "aquarium filter", "bird cage"],
        "uses": ["happy dogs and cats", "daily walks with your dog", "a calm and cosy pet",
                 "feeding pets on schedule"],
        "materials": ["durable nylon", "sisal rope", "natural rubber", "memory foam"],
        "brands": ["Pawsome", "Whiskerworks", "Tailwag"],
        "price": (6.0, 150.0),
    },
    "garden": {
        "nouns": ["watering can", "pruning shears", "garden hose", "raised planter bed",
                  "seed starter kit", "lawn sprinkler", "garden gloves", "compost bin"],
        "uses": ["a thriving vegetable patch", "spring planting", "a green and tidy lawn",
                 "growing herbs on the balcony"],
        "materials": ["galvanised steel", "cedar wood", "recycled plastic", "carbon steel"],
        "brands": ["Greenthumb", "Bloomfield", "Rootwell"],
        "price": (7.0, 200.0),
    },
    "clothing": {
        "nouns": ["rain jacket", "cotton t-shirt", "wool sweater", "denim jeans",
                  "running shoes", "winter scarf", "hooded sweatshirt", "leather belt"],
        "uses": ["everyday comfort", "cold winter days", "rainy commutes", "a casual weekend look"],
        "materials": ["organic cotton", "merino wool", "recycled polyester", "leather"],
        "brands": ["Threadly", "Northloom", "Urbanwear"],
        "price": (12.0, 220.0),
    },
    "home": {
        "nouns": ["scented candle", "throw pillow", "table lamp", "wall clock", "photo frame",
                  "area rug", "ceramic vase", "blackout curtains"],
        "uses": ["a cosy living room", "a warm bedroom atmosphere", "decorating a new home",
                 "a thoughtful housewarming gift"],
        "materials": ["soy wax", "linen", "ceramic", "velvet"],
        "brands": ["Nestora", "Casalume", "Hyggehome"],
        "price": (8.0, 240.0),
    },
    "office": {
        "nouns": ["fountain pen", "desk lamp", "spiral notebook", "ergonomic office chair",
                  "monitor stand", "desk organiser", "wireless keyboard", "planner"],
        "uses": ["a productive workday", "working from home", "note-taking in class",
                 "a tidy desk"],
        "materials": ["brushed aluminium", "recycled paper", "mesh fabric", "oak veneer"],
        "brands": ["Deskcraft", "Inkstone", "Officio"],
        "price": (4.0, 350.0),
    },
}

COLOURS = ["black", "white", "red", "blue", "green", "grey", "navy", "beige", "pink", "yellow"]
ADJECTIVES = ["classic", "compact", "premium", "everyday", "deluxe", "lightweight", "essential",
              "modern", "heritage", "pro"]

PRICE_BANDS = ("budget", "mid-range", "premium")
PRICE_BAND_EDGES = (25.0, 75.0)  # budget < $25 <= mid-range < $75 <= premium

# Short phrases in which a user describes a liking; used for text-only user profiles.
INTEREST_PHRASES = {
    "coffee": "good coffee", "kitchen": "cooking at home", "audio": "music and sound",
    "books": "reading", "toys": "games and toys for children", "outdoor": "camping and hiking",
    "fitness": "working out", "beauty": "skincare and beauty", "pets": "looking after pets",
    "garden": "gardening", "clothing": "clothes and fashion", "home": "home decoration",
    "office": "a well-equipped desk",
}

# The season in which a category peaks, as a fraction of the simulated year (0 = start).
SEASON_PEAK = {
    "garden": 0.35, "outdoor": 0.5, "fitness": 0.05, "clothing": 0.9, "toys": 0.95,
    "audio": 0.9, "home": 0.85,
}

REVIEW_OPENERS = {
    1: ["Very disappointed with this {noun}.", "Would not buy this {noun} again.",
        "This {noun} broke within a week."],
    2: ["Not great: the {noun} feels cheap.", "The {noun} is below what I expected.",
        "Mediocre {noun}, several problems."],
    3: ["The {noun} is okay for the price.", "An average {noun}, nothing special.",
        "This {noun} does the job, mostly."],
    4: ["A good {noun}, I am happy with it.", "Nice {noun}, works well.",
        "Solid {noun}, recommended."],
    5: ["I absolutely love this {noun}!", "Excellent {noun}, exceeded my expectations.",
        "Perfect {noun}, worth every cent."],
}
REVIEW_CLOSERS = {
    1: ["Poor quality and a waste of money.", "Returned it the next day."],
    2: ["Quality could be much better.", "I expected more for the money."],
    3: ["Fine, but I have seen better.", "It is acceptable."],
    4: ["Good quality overall.", "Arrived quickly and well packed."],
    5: ["Great quality and a fantastic buy.", "Will definitely buy again."],
}
