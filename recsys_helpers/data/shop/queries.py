"""The search log: queries written in shoppers' words, a lexical logging ranker, and clicks.

A query states a wanted category (as a category phrase or a product noun) and one or two other
attributes, drawn from the user's taste on that day, in the query voice of `language` ("rainproof
hiking equipment"), which seldom repeats the item texts' words. The shop's logging search engine
is lexical (word overlap plus a little appeal and noise), so its result lists miss items that say
the same thing in other words: what a semantic ranker should recover.

Ground truth is graded: 0 if the item is of another category, else 1 plus one point per stated
attribute (the product noun included) the item has; `query_relevance` computes it for any pairs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer

from .behaviour import EPOCH, SECONDS_PER_DAY, Tastes, position_bias
from .catalogue import ATTRIBUTE_NAMES, ATTRIBUTE_VALUES, CATEGORY_NAMES
from .language import ATTRIBUTES, CATEGORIES, CATEGORY_VOICES, QUERY_TEMPLATES

if TYPE_CHECKING:
    from .laboratory import LabShopConfig

QUERY_ATTRIBUTES: tuple[str, ...] = ATTRIBUTE_NAMES  # use, style, feature, audience, price
_CHUNK = 1_024


def _softmax_draw(rng: np.random.Generator, scores: np.ndarray) -> np.ndarray:
    """One draw per row with probabilities proportional to exp(scores) (Gumbel-max trick)."""
    return np.argmax(scores + rng.gumbel(size=scores.shape), axis=1)


def make_queries(config: LabShopConfig, rng: np.random.Generator, users: pd.DataFrame,
                 tastes: Tastes) -> pd.DataFrame:
    """One row per query: who, when, the text, and the attribute values it asks for (-1: not
    stated). The wanted values follow the user's preferences at that point of the horizon."""
    n = config.n_queries
    activity = users["activity"].to_numpy()
    user = rng.choice(len(users), n, p=activity / activity.sum())
    first_day = users["first_day"].to_numpy()[user]
    day = (first_day + np.floor(rng.random(n) * (config.n_days - first_day))).astype(np.int64)
    share = (day / config.n_days)[:, None]

    def preference(dimension: str) -> np.ndarray:
        start, end = tastes.preference_start[dimension], tastes.preference_end[dimension]
        return 2.0 * ((1.0 - share) * start[user] + share * end[user])

    wanted = {"category": _softmax_draw(rng, preference("category"))}
    n_stated = rng.integers(1, 3, n)  # one or two attributes beside the category
    rank = np.argsort(np.argsort(rng.random((n, len(QUERY_ATTRIBUTES))), axis=1), axis=1)
    for position, name in enumerate(QUERY_ATTRIBUTES):
        draw = _softmax_draw(rng, preference(name))
        wanted[name] = np.where(rank[:, position] < n_stated, draw, -1)
    names_noun = rng.random(n) < 0.4
    n_nouns = np.array([len(CATEGORIES[c]["nouns"]) for c in CATEGORY_NAMES])
    noun = np.floor(rng.random(n) * n_nouns[wanted["category"]]).astype(np.int64)
    wanted["noun"] = np.where(names_noun, noun, -1)

    texts = []
    for q in range(n):
        category = CATEGORY_NAMES[wanted["category"][q]]
        if wanted["noun"][q] >= 0:
            subject = CATEGORIES[category]["nouns"][wanted["noun"][q]]
        else:
            phrases = CATEGORY_VOICES[category]["query"]
            subject = phrases[rng.integers(len(phrases))]
        words = []
        for name in QUERY_ATTRIBUTES:
            if wanted[name][q] >= 0:
                forms = ATTRIBUTES[name][ATTRIBUTE_VALUES[name][wanted[name][q]]]["query"]
                words.append(forms[rng.integers(len(forms))])
        template = QUERY_TEMPLATES[rng.integers(len(QUERY_TEMPLATES))]
        texts.append(template.format(attrs=" ".join(words), category=subject).lower())

    frame = pd.DataFrame({
        "query_id": [f"q{q:06d}" for q in range(n)],
        "user_id": users["user_id"].to_numpy()[user],
        "user_index": user,
        "day": day,
        "timestamp": EPOCH + day * SECONDS_PER_DAY + rng.integers(0, SECONDS_PER_DAY, n),
        "text": texts,
        "category_index": wanted["category"],
        "noun_index": wanted["noun"],
    })
    for name in QUERY_ATTRIBUTES:
        frame[f"{name}_index"] = wanted[name]
    return frame.sort_values("timestamp", kind="stable").reset_index(drop=True)


def query_relevance(queries: pd.DataFrame, items: pd.DataFrame, query_index: np.ndarray,
                    item_index: np.ndarray) -> np.ndarray:
    """Graded relevance of item[k] for query[k]: 0 for another category, else 1 + matches."""
    query_index, item_index = np.asarray(query_index), np.asarray(item_index)
    same_category = (queries["category_index"].to_numpy()[query_index]
                     == items["category_index"].to_numpy()[item_index])
    grade = np.ones(len(query_index), dtype=np.int64)
    for name in ("noun", *QUERY_ATTRIBUTES):
        asked = queries[f"{name}_index"].to_numpy()[query_index]
        grade += (asked >= 0) & (asked == items[f"{name}_index"].to_numpy()[item_index])
    return np.where(same_category, grade, 0)


def search_log(config: LabShopConfig, rng: np.random.Generator, queries: pd.DataFrame,
               items: pd.DataFrame, appeal: np.ndarray, quality: np.ndarray) -> pd.DataFrame:
    """Result lists of the lexical logging engine and their position-biased clicks.

    The engine scores items that exist on the query's day by the number of query words in the
    item text, plus 0.3 * appeal and Gumbel noise, and shows the top `results_per_query`. A
    result is clicked with probability position_bias * sigmoid(relevance - 3 + quality).
    """
    vectoriser = CountVectorizer(stop_words="english", binary=True)
    item_words = vectoriser.fit_transform(items["text"]).T.tocsr().astype(np.float32)
    query_words = vectoriser.transform(queries["text"]).astype(np.float32)
    created = items["created_day"].to_numpy()
    k = min(config.results_per_query, len(items))
    shown = np.empty((len(queries), k), dtype=np.int64)
    for start in range(0, len(queries), _CHUNK):
        stop = min(start + _CHUNK, len(queries))
        overlap = (query_words[start:stop] @ item_words).toarray()
        score = overlap + 0.3 * appeal[None, :] + rng.gumbel(size=overlap.shape) * 0.5
        exists = created[None, :] <= queries["day"].to_numpy()[start:stop, None]
        score[~exists] = -np.inf
        top = np.argpartition(-score, k - 1, axis=1)[:, :k]
        ranked = np.argsort(-np.take_along_axis(score, top, axis=1), axis=1, kind="stable")
        shown[start:stop] = np.take_along_axis(top, ranked, axis=1)
    query_index = np.repeat(np.arange(len(queries)), k)
    item_index = shown.ravel()
    position = np.tile(np.arange(k), len(queries))
    relevance = query_relevance(queries, items, query_index, item_index)
    logit = relevance - 3.0 + quality[item_index]
    clicked = rng.random(len(item_index)) < position_bias(position) / (1.0 + np.exp(-logit))
    return pd.DataFrame({
        "query_id": queries["query_id"].to_numpy()[query_index],
        "query_index": query_index,
        "position": position,
        "item_id": items["item_id"].to_numpy()[item_index],
        "item_index": item_index,
        "relevance": relevance,
        "clicked": clicked,
    })
