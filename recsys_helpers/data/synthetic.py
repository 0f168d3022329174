"""The synthetic shop: a seeded, self-contained e-commerce world with known ground truth.

What it simulates, and why each part is there:

- A **catalogue** across 13 categories with English titles and descriptions written from the
  item's true attributes (category, brand, colour, material, price band). The words carry the
  signal, so a language model can place an item it has never seen interacted with.
- **Users** with latent category preferences that **drift** from a start mix to an end mix over
  the simulated horizon, a seasonal trend shared by everyone, and a preferred price band.
- **New items and new users** keep arriving, so every time slice has cold items and cold users.
- **Sessions**: a logging policy shows each visit a slate of items (half targeted to the user's
  current taste, half popularity-driven); clicks follow the true affinity damped by a
  **position bias**; purchases follow clicks; some purchases get a **review** whose rating and
  wording follow the affinity and the item's quality.

The true affinity (the click logit before position bias) is kept for evaluation:
`SyntheticShop.true_affinity(users, items, days)`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..params import check_float, check_int
from .schema import InteractionData
from .vocabulary import (
    ADJECTIVES,
    CATEGORIES,
    COLOURS,
    INTEREST_PHRASES,
    PRICE_BAND_EDGES,
    PRICE_BANDS,
    REVIEW_CLOSERS,
    REVIEW_OPENERS,
    SEASON_PEAK,
)

CATEGORY_NAMES = tuple(CATEGORIES)
EPOCH = int(pd.Timestamp("2025-01-01").timestamp())
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class ShopConfig:
    """Sizes and behavioural knobs of the simulation (all validated on construction)."""

    n_users: int = 3_000
    n_items: int = 1_500
    n_sessions: int = 30_000
    slate_size: int = 10
    n_days: int = 180
    seed: int = 0
    initial_item_share: float = 0.6  # items in the catalogue on day 0; the rest arrive later
    initial_user_share: float = 0.7
    drift_share: float = 0.6  # users whose taste moves to a new mix over the horizon
    targeted_share: float = 0.7  # slots the logging policy fills from the user's taste
    preference_concentration: float = 0.2  # Dirichlet alpha: small means few favourite categories
    review_rate: float = 0.6  # purchases that get a review

    def __post_init__(self) -> None:
        check_int("n_users", self.n_users, low=10, high=5_000_000)
        check_int("n_items", self.n_items, low=len(CATEGORY_NAMES), high=2_000_000)
        check_int("n_sessions", self.n_sessions, low=1, high=10_000_000)
        check_int("slate_size", self.slate_size, low=1, high=100)
        check_int("n_days", self.n_days, low=2, high=3_650)
        check_int("seed", self.seed, low=0)
        for name in ("initial_item_share", "initial_user_share", "drift_share",
                     "targeted_share", "review_rate"):
            check_float(name, getattr(self, name), low=0.0, high=1.0)
        check_float("preference_concentration", self.preference_concentration, low=1e-3)


@dataclass
class SyntheticShop:
    """The generated tables plus the hidden truth used to score models."""

    config: ShopConfig
    items: pd.DataFrame
    users: pd.DataFrame
    impressions: pd.DataFrame
    reviews: pd.DataFrame
    pref_start: np.ndarray  # (n_users, n_categories)
    pref_end: np.ndarray
    item_quality: np.ndarray
    seconds: float = field(default=0.0, repr=False)

    def category_weights(self, user_index: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Each user's normalised taste over categories on a given day (drift plus season)."""
        return _category_weights(self.pref_start, self.pref_end, user_index, day,
                                 self.config.n_days)

    def true_affinity(self, user_index, item_index, day) -> np.ndarray:
        """The click logit a user has for an item on a day, before position bias."""
        user_index, item_index, day = (np.asarray(a) for a in (user_index, item_index, day))
        weights = self.category_weights(user_index, day)
        category = self.items["category_index"].to_numpy()[item_index]
        band = self.items["price_band_index"].to_numpy()[item_index]
        user_band = self.users["price_band_index"].to_numpy()[user_index]
        taste = weights[np.arange(len(category)), category]
        return _affinity(taste, band == user_band, self.item_quality[item_index])

    def to_interactions(self, event: str = "click") -> InteractionData:
        """The shop as an `InteractionData`: clicks (or purchases) as implicit feedback."""
        if event not in ("click", "purchase"):
            raise ValueError(f"event must be 'click' or 'purchase', got {event!r}")
        column = "clicked" if event == "click" else "purchased"
        events = self.impressions[self.impressions[column]]
        interactions = pd.DataFrame({
            "user_id": events["user_id"].to_numpy(),
            "item_id": events["item_id"].to_numpy(),
            "rating": 1.0,
            "timestamp": events["timestamp"].to_numpy(),
        })
        items = self.items[["item_id", "title", "text", "category"]].copy()
        return InteractionData(f"synthetic-{event}s", interactions.reset_index(drop=True), items,
                               extras={"shop": self})

    def __repr__(self) -> str:
        c = self.config
        return (f"SyntheticShop({c.n_users:,} users, {c.n_items:,} items, "
                f"{len(self.impressions):,} impressions, {int(self.impressions.clicked.sum()):,}"
                f" clicks, {len(self.reviews):,} reviews over {c.n_days} days)")


def make_shop(config: ShopConfig | None = None, **overrides) -> SyntheticShop:
    """Generate a shop; `make_shop(n_sessions=100_000, seed=1)` overrides single settings."""
    if config is None:
        config = ShopConfig(**overrides)
    elif overrides:
        raise ValueError("pass either a ShopConfig or keyword overrides, not both")
    started = time.perf_counter()
    rng = np.random.default_rng(config.seed)
    items, quality, appeal = _make_items(config, rng)
    users, pref_start, pref_end = _make_users(config, rng)
    impressions = _simulate_sessions(config, rng, items, users, pref_start, pref_end,
                                     quality, appeal)
    reviews = _write_reviews(config, rng, impressions, items, quality)
    return SyntheticShop(config, items, users, impressions, reviews, pref_start, pref_end,
                         quality, seconds=time.perf_counter() - started)


# --- items -------------------------------------------------------------------------------------

def _make_items(config: ShopConfig, rng: np.random.Generator):
    n = config.n_items
    n_cat = len(CATEGORY_NAMES)
    category = np.concatenate([np.arange(n_cat), rng.integers(0, n_cat, n - n_cat)])
    rng.shuffle(category)
    arrives = rng.random(n) >= config.initial_item_share
    created_day = np.where(arrives, rng.integers(1, config.n_days, n), 0)
    # Every category needs day-0 stock, or a slate could show an item before it exists.
    for c in range(n_cat):
        members = np.flatnonzero(category == c)
        if created_day[members].min() > 0:
            created_day[members[0]] = 0
    quality = rng.normal(0.0, 0.5, n)
    # Log of the exposure weight the logging policy gives an item: a lognormal long tail.
    appeal = 0.5 * quality + rng.normal(0.0, 1.2, n)

    rows = []
    for i in range(n):
        spec = CATEGORIES[CATEGORY_NAMES[category[i]]]
        low, high = spec["price"]
        price = float(np.exp(rng.uniform(np.log(low), np.log(high))))
        noun = spec["nouns"][rng.integers(len(spec["nouns"]))]
        brand = spec["brands"][rng.integers(len(spec["brands"]))]
        material = spec["materials"][rng.integers(len(spec["materials"]))]
        colour = COLOURS[rng.integers(len(COLOURS))]
        adjective = ADJECTIVES[rng.integers(len(ADJECTIVES))]
        use = spec["uses"][rng.integers(len(spec["uses"]))]
        band = int(np.searchsorted(PRICE_BAND_EDGES, price, side="right"))
        title = f"{brand} {adjective.title()} {colour.title()} {noun.title()}"
        text = (f"{title}. A {colour} {material} {noun} for {use}. "
                f"A {PRICE_BANDS[band]} choice at ${price:.2f}.")
        rows.append((f"i{i:06d}", title, text, CATEGORY_NAMES[category[i]], noun, brand,
                     colour, material, round(price, 2), PRICE_BANDS[band], band))
    items = pd.DataFrame(rows, columns=["item_id", "title", "text", "category", "noun", "brand",
                                        "colour", "material", "price", "price_band",
                                        "price_band_index"])
    items["category_index"] = category
    items["created_day"] = created_day
    return items, quality, appeal


# --- users -------------------------------------------------------------------------------------

def _make_users(config: ShopConfig, rng: np.random.Generator):
    n = config.n_users
    n_cat = len(CATEGORY_NAMES)
    alpha = np.full(n_cat, config.preference_concentration)
    pref_start = rng.dirichlet(alpha, n)
    drifts = rng.random(n) < config.drift_share
    pref_end = np.where(drifts[:, None], rng.dirichlet(alpha, n), pref_start)
    arrives = rng.random(n) >= config.initial_user_share
    first_day = np.where(arrives, rng.integers(1, config.n_days, n), 0)
    activity = rng.lognormal(0.0, 1.0, n)  # a few heavy users, many light ones
    band = rng.choice(len(PRICE_BANDS), n, p=[0.4, 0.4, 0.2])

    top = np.argsort(-pref_start, axis=1)[:, :2]
    descriptions = [
        f"Enjoys {INTEREST_PHRASES[CATEGORY_NAMES[a]]} and {INTEREST_PHRASES[CATEGORY_NAMES[b]]};"
        f" prefers {PRICE_BANDS[k]} products."
        for (a, b), k in zip(top, band, strict=True)
    ]
    users = pd.DataFrame({
        "user_id": [f"u{u:06d}" for u in range(n)],
        "first_day": first_day,
        "activity": activity,
        "drifts": drifts,
        "price_band": np.array(PRICE_BANDS)[band],
        "price_band_index": band,
        "favourite_category": np.array(CATEGORY_NAMES)[top[:, 0]],
        "description": descriptions,
    })
    return users, pref_start, pref_end


def _season(n_days: int, day: np.ndarray) -> np.ndarray:
    """Multiplicative seasonal factor (len(day), n_categories); 1 for categories without a peak."""
    phase = np.asarray(day, dtype=float)[:, None] / n_days
    peaks = np.array([SEASON_PEAK.get(c, np.nan) for c in CATEGORY_NAMES])[None, :]
    distance = np.abs(phase - peaks)
    distance = np.minimum(distance, 1.0 - distance)  # the year wraps around
    factor = 1.0 + 1.5 * np.exp(-((distance / 0.12) ** 2))
    return np.where(np.isnan(peaks), 1.0, factor)


def _category_weights(pref_start, pref_end, user_index, day, n_days) -> np.ndarray:
    share = np.asarray(day, dtype=float)[:, None] / n_days
    mix = (1.0 - share) * pref_start[user_index] + share * pref_end[user_index]
    mix = mix * _season(n_days, day)
    return mix / mix.sum(axis=1, keepdims=True)


def _affinity(taste: np.ndarray, band_match: np.ndarray, quality: np.ndarray) -> np.ndarray:
    n_cat = len(CATEGORY_NAMES)
    return (-2.0 + 2.0 * np.log(np.maximum(taste * n_cat, 1e-6)) + 0.8 * band_match
            + quality)


# --- sessions ----------------------------------------------------------------------------------

def _simulate_sessions(config, rng, items, users, pref_start, pref_end, quality, appeal):
    n_s, slate = config.n_sessions, config.slate_size
    first_day = users["first_day"].to_numpy()
    activity = users["activity"].to_numpy()
    user = rng.choice(config.n_users, n_s, p=activity / activity.sum())
    span = config.n_days - first_day[user]
    day = first_day[user] + np.floor(rng.random(n_s) * span).astype(int)
    second = rng.integers(0, SECONDS_PER_DAY, n_s)
    order = np.lexsort((second, day))  # session ids follow time
    user, day, second = user[order], day[order], second[order]

    weights = _category_weights(pref_start, pref_end, user, day, config.n_days)
    n_cat = weights.shape[1]
    session = np.repeat(np.arange(n_s), slate)
    targeted = rng.random(n_s * slate) < config.targeted_share
    category = np.where(
        targeted,
        _sample_rows(rng, np.repeat(weights, slate, axis=0)),
        rng.choice(n_cat, n_s * slate, p=_global_mix(items)),
    )
    item = _sample_available_items(rng, items, appeal, category, np.repeat(day, slate))

    frame = pd.DataFrame({"session": session, "item_index": item})
    keep = ~frame.duplicated().to_numpy()  # a slate shows an item once
    session, item = session[keep], item[keep]
    position = pd.Series(session).groupby(session).cumcount().to_numpy()
    u, d = user[session], day[session]

    band_match = items["price_band_index"].to_numpy()[item] == \
        users["price_band_index"].to_numpy()[u]
    taste = weights[session, items["category_index"].to_numpy()[item]]
    logit = _affinity(taste, band_match, quality[item])
    position_bias = 1.0 / np.log2(position + 2.0)
    p_click = position_bias / (1.0 + np.exp(-logit))
    clicked = rng.random(len(item)) < p_click
    p_buy = 1.0 / (1.0 + np.exp(-(logit - 2.5)))
    purchased = clicked & (rng.random(len(item)) < p_buy)

    return pd.DataFrame({
        "session_id": session,
        "user_id": users["user_id"].to_numpy()[u],
        "item_id": items["item_id"].to_numpy()[item],
        "user_index": u,
        "item_index": item,
        "day": d,
        "timestamp": EPOCH + d.astype(np.int64) * SECONDS_PER_DAY + second[session],
        "position": position,
        "clicked": clicked,
        "purchased": purchased,
    })


def _global_mix(items: pd.DataFrame) -> np.ndarray:
    counts = np.bincount(items["category_index"], minlength=len(CATEGORY_NAMES)).astype(float)
    return counts / counts.sum()


def _sample_rows(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a probability matrix (vectorised inverse CDF)."""
    cumulative = np.cumsum(probabilities, axis=1)
    draws = rng.random(len(probabilities))[:, None] * cumulative[:, -1:]
    return np.minimum((cumulative < draws).sum(axis=1), probabilities.shape[1] - 1)


def _sample_available_items(rng, items, appeal, category, day) -> np.ndarray:
    """Per slot, an item of the slot's category already in the catalogue that day, drawn in
    proportion to its appeal (so popular items are shown more: the rich get richer)."""
    chosen = np.full(len(category), -1)
    created = items["created_day"].to_numpy()
    item_category = items["category_index"].to_numpy()
    for c in range(len(CATEGORY_NAMES)):
        slots = np.flatnonzero(category == c)
        members = np.flatnonzero(item_category == c)
        members = members[np.argsort(created[members], kind="stable")]
        cumulative = np.cumsum(np.exp(appeal[members]))
        available = np.searchsorted(created[members], day[slots], side="right")
        # Day-0 stock exists in every category except by bad luck; fall back to the first item.
        available = np.maximum(available, 1)
        draws = rng.random(len(slots)) * cumulative[available - 1]
        chosen[slots] = members[np.minimum(np.searchsorted(cumulative, draws, side="right"),
                                           available - 1)]
    return chosen


# --- reviews -----------------------------------------------------------------------------------

def _write_reviews(config, rng, impressions, items, quality) -> pd.DataFrame:
    bought = impressions[impressions["purchased"].to_numpy()]
    bought = bought[rng.random(len(bought)) < config.review_rate]
    item = bought["item_index"].to_numpy()
    # Satisfaction: the item's quality plus noise (the buyer already liked the category).
    score = 3.6 + 1.4 * quality[item] + rng.normal(0.0, 0.8, len(item))
    rating = np.clip(np.rint(score), 1, 5).astype(int)
    nouns = items["noun"].to_numpy()[item]
    texts = []
    for r, noun in zip(rating, nouns, strict=True):
        opener = REVIEW_OPENERS[r][rng.integers(len(REVIEW_OPENERS[r]))]
        closer = REVIEW_CLOSERS[r][rng.integers(len(REVIEW_CLOSERS[r]))]
        texts.append(f"{opener.format(noun=noun)} {closer}")
    sentiment = np.where(rating >= 4, "positive", np.where(rating <= 2, "negative", "neutral"))
    return pd.DataFrame({
        "user_id": bought["user_id"].to_numpy(),
        "item_id": bought["item_id"].to_numpy(),
        "timestamp": bought["timestamp"].to_numpy() + 3 * SECONDS_PER_DAY,
        "rating": rating,
        "text": texts,
        "sentiment": sentiment,
    })
