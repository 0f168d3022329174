"""The lab shop's configuration, the generated shop with its hidden truth, and `make_lab_shop`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ...errors import ParameterError
from ...params import check_float, check_int
from ..schema import InteractionData
from .behaviour import (
    Tastes,
    describe_users,
    item_codes,
    make_tastes,
    simulate_sessions,
    taste,
    write_reviews,
)
from .catalogue import CATEGORY_NAMES, make_catalogue
from .queries import make_queries, query_relevance, search_log

_SHARES = ("initial_item_share", "initial_user_share", "text_signal", "drift_share",
           "drift_strength", "lexical_variety", "mention_rate", "review_rate")


@dataclass(frozen=True)
class LabShopConfig:
    """Sizes and knobs of the laboratory (validated on construction; see the package docstring).
    """

    n_users: int = 3_000
    n_items: int = 1_500
    n_sessions: int = 30_000
    slate_size: int = 10
    candidate_pool: int = 30  # items the logging policy considers per visit
    n_days: int = 180
    seed: int = 0
    initial_item_share: float = 0.6  # items in the catalogue on day 0; the rest arrive later
    initial_user_share: float = 0.7
    text_signal: float = 0.5  # share of taste variance that item texts can explain
    n_factors: int = 8  # rank of the latent (text-free) part of taste
    taste_strength: float = 2.0  # how much taste moves the click logit
    click_bias: float = -2.0  # the click logit of an average item for an average user
    quality_sd: float = 0.3  # spread of the item quality everyone agrees on
    policy_skill: float = 1.0  # how closely the logging policy's slates follow true taste
    drift_share: float = 0.5  # users whose taste moves over the horizon
    drift_strength: float = 0.5  # share of a drifting user's taste replaced by the end
    lexical_variety: float = 1.0  # chance a phrase is a random synonym, not the canonical one
    mention_rate: float = 1.0  # chance an item text states a given attribute
    review_rate: float = 0.6  # purchases that get a review
    n_queries: int = 5_000
    results_per_query: int = 10

    def __post_init__(self) -> None:
        check_int("n_users", self.n_users, low=10, high=5_000_000)
        check_int("n_items", self.n_items, low=len(CATEGORY_NAMES), high=2_000_000)
        check_int("n_sessions", self.n_sessions, low=1, high=10_000_000)
        check_int("slate_size", self.slate_size, low=1, high=100)
        check_int("candidate_pool", self.candidate_pool, low=1, high=1_000)
        if self.candidate_pool < self.slate_size:
            raise ParameterError(
                f"parameter 'candidate_pool' ({self.candidate_pool}) must be at least "
                f"slate_size ({self.slate_size}): the policy fills a slate from its candidates")
        check_int("n_days", self.n_days, low=2, high=3_650)
        check_int("seed", self.seed, low=0)
        check_int("n_factors", self.n_factors, low=1, high=256)
        check_int("n_queries", self.n_queries, low=0, high=5_000_000)
        check_int("results_per_query", self.results_per_query, low=1, high=100)
        for name in _SHARES:
            check_float(name, getattr(self, name), low=0.0, high=1.0)
        check_float("taste_strength", self.taste_strength, low=0.0, high=10.0)
        check_float("click_bias", self.click_bias, low=-10.0, high=10.0)
        check_float("quality_sd", self.quality_sd, low=0.0, high=5.0)
        check_float("policy_skill", self.policy_skill, low=0.0, high=10.0)


@dataclass
class LabShop:
    """The generated tables plus the hidden truth that scores models.

    Tables: ``items``, ``users`` (with a self-``description``), ``impressions`` (one row per
    shown slot), ``reviews``, ``queries`` and ``search_results`` (one row per shown result, with
    its graded ``relevance``).
    """

    config: LabShopConfig
    items: pd.DataFrame
    users: pd.DataFrame
    impressions: pd.DataFrame
    reviews: pd.DataFrame
    queries: pd.DataFrame
    search_results: pd.DataFrame
    tastes: Tastes = field(repr=False)
    item_quality: np.ndarray = field(repr=False)
    seconds: float = field(default=0.0, repr=False)

    def taste(self, user_index: ArrayLike, item_index: ArrayLike, day: ArrayLike) -> np.ndarray:
        """Unit-variance taste of each (user, item) pair on a day (semantic and latent mixed)."""
        user_index, item_index = np.asarray(user_index), np.asarray(item_index)
        share = np.broadcast_to(np.asarray(day, dtype=float), user_index.shape) / self.config.n_days
        return taste(self.tastes, item_codes(self.items), self.config.text_signal, user_index,
                     item_index, share)

    def true_affinity(self, user_index: ArrayLike, item_index: ArrayLike,
                      day: ArrayLike) -> np.ndarray:
        """The click logit of each (user, item) pair on a day, before position bias."""
        c = self.config
        return (c.click_bias + c.taste_strength * self.taste(user_index, item_index, day)
                + self.item_quality[np.asarray(item_index)])

    def query_relevance(self, query_index: ArrayLike, item_index: ArrayLike) -> np.ndarray:
        """Graded relevance (0 = another category, then 1 + stated attributes matched)."""
        return query_relevance(self.queries, self.items, query_index, item_index)

    def to_interactions(self, event: str = "click") -> InteractionData:
        """The shop as an `InteractionData`: clicks (or purchases) as implicit feedback."""
        if event not in ("click", "purchase"):
            raise ParameterError(f"event must be 'click' or 'purchase', got {event!r}")
        column = "clicked" if event == "click" else "purchased"
        events = self.impressions[self.impressions[column].to_numpy()]
        interactions = pd.DataFrame({
            "user_id": events["user_id"].to_numpy(),
            "item_id": events["item_id"].to_numpy(),
            "rating": 1.0,
            "timestamp": events["timestamp"].to_numpy(),
        })
        items = self.items[["item_id", "title", "text", "category"]].copy()
        return InteractionData(f"lab-shop-{event}s", interactions, items, extras={"shop": self})

    def __repr__(self) -> str:
        c = self.config
        return (f"LabShop({c.n_users:,} users, {c.n_items:,} items, "
                f"{len(self.impressions):,} impressions, "
                f"{int(self.impressions['clicked'].sum()):,} clicks, {len(self.reviews):,} "
                f"reviews, {len(self.queries):,} queries over {c.n_days} days, "
                f"text_signal={c.text_signal})")


def make_lab_shop(config: LabShopConfig | None = None, **overrides: float) -> LabShop:
    """Generate the lab shop; ``make_lab_shop(text_signal=0.0, seed=1)`` overrides settings.

    Each part (catalogue texts, hidden item numbers, users, tastes, sessions, reviews, queries)
    draws from its own random stream of the seed, so changing a behavioural knob such as
    `text_signal` leaves the catalogue and its texts exactly as they were.
    """
    if config is None:
        config = LabShopConfig(**overrides)
    elif overrides:
        raise ParameterError("pass either a LabShopConfig or keyword overrides, not both")
    started = time.perf_counter()
    streams = [np.random.default_rng(s)
               for s in np.random.SeedSequence(config.seed).spawn(7)]
    texts_rng, hidden_rng, users_rng, tastes_rng, sessions_rng, reviews_rng, queries_rng = \
        streams
    items = make_catalogue(config.n_items, config.n_days, config.initial_item_share,
                           config.lexical_variety, config.mention_rate, texts_rng)
    quality = config.quality_sd * hidden_rng.standard_normal(config.n_items)
    # The log of the exposure weight the logging policy gives an item: a long tail.
    appeal = 0.5 * quality + hidden_rng.normal(0.0, 0.5, config.n_items)

    n = config.n_users
    arrives = users_rng.random(n) >= config.initial_user_share
    drifts = users_rng.random(n) < config.drift_share
    users = pd.DataFrame({
        "user_id": [f"u{u:06d}" for u in range(n)],
        "first_day": np.where(arrives, users_rng.integers(1, config.n_days, n), 0),
        "activity": users_rng.lognormal(0.0, 1.0, n),  # a few heavy users, many light ones
        "drifts": drifts,
    })
    tastes = make_tastes(n, config.n_items, config.n_factors, drifts, config.drift_strength,
                         tastes_rng)
    users["description"] = describe_users(users_rng, tastes)

    impressions = simulate_sessions(config, sessions_rng, items, users, tastes, quality, appeal)
    shop = LabShop(config, items, users, impressions, pd.DataFrame(), pd.DataFrame(),
                   pd.DataFrame(), tastes, quality)
    bought = impressions["purchased"].to_numpy()
    affinity = np.zeros(len(impressions))
    affinity[bought] = shop.true_affinity(impressions["user_index"].to_numpy()[bought],
                                          impressions["item_index"].to_numpy()[bought],
                                          impressions["day"].to_numpy()[bought])
    shop.reviews = write_reviews(reviews_rng, impressions, items, affinity, config.review_rate)
    shop.queries = make_queries(config, queries_rng, users, tastes)
    shop.search_results = search_log(config, queries_rng, shop.queries, items, appeal, quality)
    shop.seconds = time.perf_counter() - started
    return shop
