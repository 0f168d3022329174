"""Users and what they do: tastes, drift, the logging policy's slates, clicks, purchases, reviews.

A user's taste for an item is the sum of two parts of equal scale, mixed by ``text_signal``:

    taste = sqrt(text_signal) * semantic + sqrt(1 - text_signal) * latent

- ``semantic``: the user's preferences over the item's attributes (category, use, style,
  feature, audience, price band), each a standard normal score per attribute value, weighted by
  `ATTRIBUTE_WEIGHTS` and scaled to unit variance. Item texts express these attributes, so a
  text model can learn this part, and transfer it to items nobody has interacted with.
- ``latent``: the dot product of low-rank random user and item factors, also of unit variance.
  No text states it; only co-behaviour (who clicked what) reveals it, so only an ID model such as
  ALS learns it, and only for items with interactions.

Both parts drift: a drifting user's start taste moves linearly to an end taste over the horizon.
The click logit (the "true affinity") is ``click_bias + taste_strength * taste + quality``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .catalogue import ATTRIBUTE_NAMES, ATTRIBUTE_VALUES, CATEGORY_NAMES, DRAWN_ATTRIBUTES
from .language import (
    ATTRIBUTES,
    CATEGORY_VOICES,
    PROFILE_TEMPLATES,
    REVIEW_CLOSERS,
    REVIEW_OPENERS,
)

if TYPE_CHECKING:
    from .laboratory import LabShopConfig

# How much each attribute weighs in the semantic part (category matters most).
ATTRIBUTE_WEIGHTS: dict[str, float] = {"category": 1.0, "use": 0.3, "style": 0.4,
                                       "feature": 0.2, "audience": 0.2, "price_band": 0.2}
SEMANTIC_DIMENSIONS: tuple[str, ...] = ("category", *ATTRIBUTE_NAMES)
EPOCH = int(pd.Timestamp("2025-01-01").timestamp())
SECONDS_PER_DAY = 86_400


@dataclass
class Tastes:
    """Hidden user and item parameters: attribute preferences and latent factors, start and end.

    ``preference_start[d]`` has shape (n_users, n_values of dimension d), already multiplied by
    the dimension's weight; ``user_factors_*`` (n_users, r) and ``item_factors`` (n_items, r).
    """

    preference_start: dict[str, np.ndarray]
    preference_end: dict[str, np.ndarray]
    user_factors_start: np.ndarray
    user_factors_end: np.ndarray
    item_factors: np.ndarray
    semantic_scale: float  # 1 / sd of the weighted preference sum


def _n_values(dimension: str) -> int:
    return len(CATEGORY_NAMES) if dimension == "category" else len(ATTRIBUTE_VALUES[dimension])


def make_tastes(n_users: int, n_items: int, n_factors: int, drifts: np.ndarray,
                drift_strength: float, rng: np.random.Generator) -> Tastes:
    """Draw every user's start and end taste and every item's latent factors."""
    keep, replace = np.sqrt(1.0 - drift_strength), np.sqrt(drift_strength)

    def drifted(start: np.ndarray) -> np.ndarray:
        fresh = rng.standard_normal(start.shape)
        return np.where(drifts[:, None], keep * start + replace * fresh, start)

    start, end = {}, {}
    for dimension in SEMANTIC_DIMENSIONS:
        weight = ATTRIBUTE_WEIGHTS[dimension]
        base = rng.standard_normal((n_users, _n_values(dimension)))
        start[dimension] = weight * base
        end[dimension] = weight * drifted(base)
    scale = 1.0 / np.sqrt(sum(w * w for w in ATTRIBUTE_WEIGHTS.values()))
    factor_sd = n_factors ** -0.25  # so that a user-item dot product has unit variance
    user_start = rng.standard_normal((n_users, n_factors))
    user_end = drifted(user_start)
    item_factors = factor_sd * rng.standard_normal((n_items, n_factors))
    return Tastes(start, end, factor_sd * user_start, factor_sd * user_end, item_factors, scale)


def item_codes(items: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each semantic dimension's value index per item (the arrays `taste` looks up)."""
    return {d: items[f"{d}_index"].to_numpy() for d in SEMANTIC_DIMENSIONS}


def taste(tastes: Tastes, codes: dict[str, np.ndarray], text_signal: float,
          user: np.ndarray, item: np.ndarray, share_of_horizon: np.ndarray) -> np.ndarray:
    """Unit-variance taste of user[k] for item[k] at a point of the horizon (0 start, 1 end)."""
    a, b = np.sqrt(text_signal), np.sqrt(1.0 - text_signal)
    parts = []
    for preference, factors in ((tastes.preference_start, tastes.user_factors_start),
                                (tastes.preference_end, tastes.user_factors_end)):
        semantic = np.zeros(len(user))
        if a > 0:
            for dimension in SEMANTIC_DIMENSIONS:
                semantic += preference[dimension][user, codes[dimension][item]]
        latent = np.einsum("ij,ij->i", factors[user], tastes.item_factors[item]) if b > 0 \
            else 0.0
        parts.append(a * tastes.semantic_scale * semantic + b * latent)
    share = np.asarray(share_of_horizon, dtype=float)
    return (1.0 - share) * parts[0] + share * parts[1]


def position_bias(position: np.ndarray) -> np.ndarray:
    """The chance that a user looks at a slot: 1 at the top, 1 / log2(position + 2) below."""
    return 1.0 / np.log2(np.asarray(position) + 2.0)


def sample_available(rng: np.random.Generator, created_day: np.ndarray, weight: np.ndarray,
                     day: np.ndarray) -> np.ndarray:
    """One item per entry of `day`, among items created by then, in proportion to `weight`."""
    order = np.argsort(created_day, kind="stable")
    cumulative = np.cumsum(weight[order])
    available = np.maximum(np.searchsorted(created_day[order], day, side="right"), 1)
    draws = rng.random(day.shape) * cumulative[available - 1]
    position = np.minimum(np.searchsorted(cumulative, draws, side="right"), available - 1)
    return order[position]


def simulate_sessions(config: LabShopConfig, rng: np.random.Generator, items: pd.DataFrame,
                      users: pd.DataFrame, tastes: Tastes, quality: np.ndarray,
                      appeal: np.ndarray) -> pd.DataFrame:
    """Visits, slates, clicks and purchases: the impression log.

    The logging policy draws `candidate_pool` available items per visit in proportion to their
    appeal, scores them by ``policy_skill * taste`` plus Gumbel noise, and shows the best
    `slate_size` in that order. A shown item is clicked with probability
    position_bias(position) * sigmoid(affinity); a click becomes a purchase with probability
    sigmoid(affinity - 2.5).
    """
    n_s, pool, slate = config.n_sessions, config.candidate_pool, config.slate_size
    first_day = users["first_day"].to_numpy()
    activity = users["activity"].to_numpy()
    user = rng.choice(len(users), n_s, p=activity / activity.sum())
    day = first_day[user] + np.floor(rng.random(n_s) * (config.n_days - first_day[user]))
    day = day.astype(np.int64)
    second = rng.integers(0, SECONDS_PER_DAY, n_s)
    order = np.lexsort((second, day))  # session ids follow time
    user, day, second = user[order], day[order], second[order]

    created = items["created_day"].to_numpy()
    candidates = sample_available(rng, created, np.exp(appeal), np.repeat(day, pool))
    candidates = candidates.reshape(n_s, pool)
    codes = item_codes(items)
    share = day / config.n_days
    flat_user = np.repeat(user, pool)
    flat_taste = taste(tastes, codes, config.text_signal, flat_user, candidates.ravel(),
                       np.repeat(share, pool)).reshape(n_s, pool)
    score = config.policy_skill * flat_taste + rng.gumbel(size=(n_s, pool))
    # A slate shows an item once: repeated candidates lose their score.
    by_item = np.argsort(candidates, axis=1, kind="stable")
    sorted_items = np.take_along_axis(candidates, by_item, axis=1)
    repeated = np.zeros_like(score, dtype=bool)
    np.put_along_axis(repeated, by_item[:, 1:], sorted_items[:, 1:] == sorted_items[:, :-1],
                      axis=1)
    score[repeated] = -np.inf
    top = np.argsort(-score, axis=1, kind="stable")[:, :slate]
    keep = np.isfinite(np.take_along_axis(score, top, axis=1))
    session = np.repeat(np.arange(n_s), slate).reshape(n_s, slate)[keep]
    position = np.tile(np.arange(slate), (n_s, 1))[keep]
    item = np.take_along_axis(candidates, top, axis=1)[keep]
    item_taste = np.take_along_axis(flat_taste, top, axis=1)[keep]

    affinity = config.click_bias + config.taste_strength * item_taste + quality[item]
    clicked = rng.random(len(item)) < position_bias(position) / (1.0 + np.exp(-affinity))
    purchased = clicked & (rng.random(len(item)) < 1.0 / (1.0 + np.exp(2.5 - affinity)))
    u, d = user[session], day[session]
    return pd.DataFrame({
        "session_id": session,
        "user_id": users["user_id"].to_numpy()[u],
        "item_id": items["item_id"].to_numpy()[item],
        "user_index": u,
        "item_index": item,
        "day": d,
        "timestamp": EPOCH + d * SECONDS_PER_DAY + second[session],
        "position": position,
        "clicked": clicked,
        "purchased": purchased,
    })


def write_reviews(rng: np.random.Generator, impressions: pd.DataFrame, items: pd.DataFrame,
                  affinity: np.ndarray, review_rate: float) -> pd.DataFrame:
    """Reviews of some purchases: stars and wording follow the buyer's affinity for the item."""
    bought = impressions["purchased"].to_numpy()
    chosen = np.flatnonzero(bought)[rng.random(int(bought.sum())) < review_rate]
    rows = impressions.iloc[chosen]
    score = 2.4 + 0.6 * affinity[chosen] + rng.normal(0.0, 0.7, len(chosen))
    rating = np.clip(np.rint(score), 1, 5).astype(int)
    nouns = items["noun"].to_numpy()[rows["item_index"].to_numpy()]
    texts = []
    for stars, noun in zip(rating, nouns, strict=True):
        opener = REVIEW_OPENERS[stars][rng.integers(len(REVIEW_OPENERS[stars]))]
        closer = REVIEW_CLOSERS[stars][rng.integers(len(REVIEW_CLOSERS[stars]))]
        texts.append(f"{opener.format(noun=noun)} {closer}")
    sentiment = np.where(rating >= 4, "positive", np.where(rating <= 2, "negative", "neutral"))
    return pd.DataFrame({
        "user_id": rows["user_id"].to_numpy(),
        "item_id": rows["item_id"].to_numpy(),
        "timestamp": rows["timestamp"].to_numpy() + 3 * SECONDS_PER_DAY,
        "rating": rating,
        "text": texts,
        "sentiment": sentiment,
    })


def describe_users(rng: np.random.Generator, tastes: Tastes) -> list[str]:
    """A short self-description per user: their favourite category and one other liking, in
    profile words (never the item texts' phrases), from the start taste only; the latent part
    and any later drift are not described, as in a real sign-up form."""
    favourite = np.argmax(tastes.preference_start["category"], axis=1)
    other_dimension = rng.integers(0, len(DRAWN_ATTRIBUTES), len(favourite))
    descriptions = []
    for user, (category, dimension) in enumerate(zip(favourite, other_dimension, strict=True)):
        name = DRAWN_ATTRIBUTES[dimension]
        value = ATTRIBUTE_VALUES[name][int(np.argmax(tastes.preference_start[name][user]))]
        first = CATEGORY_VOICES[CATEGORY_NAMES[category]]["interest"]
        second = ATTRIBUTES[name][value]["interest"]
        template = PROFILE_TEMPLATES[rng.integers(len(PROFILE_TEMPLATES))]
        descriptions.append(template.format(a=first[rng.integers(len(first))],
                                            b=second[rng.integers(len(second))]))
    return descriptions
