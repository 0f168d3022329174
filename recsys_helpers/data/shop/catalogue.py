"""Items: their semantic attributes, hidden qualities, and the texts that describe them.

An item is a category (shown only through its product noun), one value of each attribute in
`language.ATTRIBUTES` (use, style, feature, audience, price band), a brand, a price, and two
numbers no text states: a quality (everyone likes good items a little more) and an appeal (how
often the shop's logging policy puts it forward). The texts are written from the attributes with
a random synonym for each, in a random order, in the brand's voice, and leave out an attribute
now and then, so two items with the same attributes usually share few words.

The brand's name is a column, not part of the text: made-up brand names are rare tokens that
swamp a small sentence encoder's embedding (measured: same-brand pairs looked more alike to
MiniLM than same-category pairs), which would bury the meaning this laboratory is about. The
brand still shapes the wording through its voice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .language import ATTRIBUTES, BRAND_VOICES, CATEGORIES, PRICE_BAND_EDGES

CATEGORY_NAMES: tuple[str, ...] = tuple(CATEGORIES)
ATTRIBUTE_NAMES: tuple[str, ...] = tuple(ATTRIBUTES)  # use, style, feature, audience, price_band
ATTRIBUTE_VALUES: dict[str, tuple[str, ...]] = {name: tuple(values)
                                               for name, values in ATTRIBUTES.items()}
BRANDS: tuple[str, ...] = tuple(BRAND_VOICES)
# The attributes an item draws freely; the price band follows from the price.
DRAWN_ATTRIBUTES: tuple[str, ...] = tuple(a for a in ATTRIBUTE_NAMES if a != "price_band")


def make_catalogue(n_items: int, n_days: int, initial_share: float, lexical_variety: float,
                   mention_rate: float, rng: np.random.Generator) -> pd.DataFrame:
    """The item table: ids, attribute names and indices, price, arrival day, title and text.

    `lexical_variety` is the chance that a phrase is a random synonym rather than the value's
    first (canonical) phrase; `mention_rate` the chance that an attribute is written at all.
    """
    n_cat = len(CATEGORY_NAMES)
    category = np.concatenate([np.arange(n_cat), rng.integers(0, n_cat, max(n_items - n_cat, 0))])
    category = rng.permutation(category[:n_items])
    n_nouns = np.array([len(CATEGORIES[c]["nouns"]) for c in CATEGORY_NAMES])[category]
    noun = np.floor(rng.random(n_items) * n_nouns).astype(np.int64)
    columns: dict[str, np.ndarray] = {}
    for name in DRAWN_ATTRIBUTES:
        columns[name] = rng.integers(0, len(ATTRIBUTE_VALUES[name]), n_items)
    low = np.array([CATEGORIES[c]["price"][0] for c in CATEGORY_NAMES])[category]
    high = np.array([CATEGORIES[c]["price"][1] for c in CATEGORY_NAMES])[category]
    price = np.round(np.exp(rng.uniform(np.log(low), np.log(high))), 2)
    columns["price_band"] = np.searchsorted(PRICE_BAND_EDGES, price, side="right")
    brand = rng.integers(0, len(BRANDS), n_items)

    arrives = rng.random(n_items) >= initial_share
    created_day = np.where(arrives, rng.integers(1, n_days, n_items), 0)
    for c in range(n_cat):  # every category needs day-0 stock for the first slates
        members = np.flatnonzero(category == c)
        if len(members) and created_day[members].min() > 0:
            created_day[members[0]] = 0

    titles, texts = _write_texts(category, noun, columns, brand, price, lexical_variety,
                                 mention_rate, rng)
    items = pd.DataFrame({
        "item_id": [f"i{i:06d}" for i in range(n_items)],
        "title": titles,
        "text": texts,
        "category": np.array(CATEGORY_NAMES)[category],
        "noun": [CATEGORIES[CATEGORY_NAMES[c]]["nouns"][k] for c, k in zip(category, noun,
                                                                            strict=True)],
        "brand": np.array(BRANDS)[brand],
        "price": price,
    })
    for name in ATTRIBUTE_NAMES:
        items[name] = np.array(ATTRIBUTE_VALUES[name])[columns[name]]
    items["category_index"] = category
    items["noun_index"] = noun
    for name in ATTRIBUTE_NAMES:
        items[f"{name}_index"] = columns[name]
    items["created_day"] = created_day
    return items


def _pick(rng: np.random.Generator, phrases: list[str], variety: float) -> str:
    """A random synonym with probability `variety`, else the canonical (first) phrase."""
    if rng.random() < variety:
        return phrases[rng.integers(len(phrases))]
    return phrases[0]


def _title_case(text: str) -> str:
    return " ".join(_capitalise(word) for word in text.split())


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _write_texts(category, noun, columns, brand, price, variety, mention_rate, rng):
    """Title and description per item: brand voice, shuffled attribute sentences, price."""
    titles, texts = [], []
    for i in range(len(category)):
        spec = CATEGORIES[CATEGORY_NAMES[category[i]]]
        product = spec["nouns"][noun[i]]
        brand_name = BRANDS[brand[i]]
        voice = BRAND_VOICES[brand_name]
        style = ATTRIBUTES["style"][ATTRIBUTE_VALUES["style"][columns["style"][i]]]
        title = f"{_pick(rng, style['title'], variety)} {_title_case(product)}"
        sentences = []
        for name in ATTRIBUTE_NAMES:
            if rng.random() < mention_rate:
                value = ATTRIBUTE_VALUES[name][columns[name][i]]
                sentences.append(_pick(rng, ATTRIBUTES[name][value]["item"], variety))
        rng.shuffle(sentences)
        opener = voice["opener"][rng.integers(len(voice["opener"]))]
        opener = _capitalise(opener.format(noun=product, number=int(rng.integers(2, 99))))
        closer = voice["closer"][rng.integers(len(voice["closer"]))]
        parts = [f"{title}.", opener, *sentences, f"${price[i]:.2f}.", closer]
        texts.append(" ".join(part for part in parts if part))
        titles.append(title)
    return titles, texts
