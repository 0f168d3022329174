"""Fusion of an ID model and a text model: collaborative factors for what has behaviour, text
for what has none.

An ID model such as ALS learns a vector per user (p_u) and per item (q_i) from co-behaviour
alone, so it captures tastes that no text states, but an item nobody has interacted with yet has
no vector worth the name, and ALS cannot rank it. A text model ranks every item that has a
description, but only knows what the words say. `FusionRecommender` keeps the best of each:

1. **Warm items** are scored as ALS scores them: p_u . q_i.
2. **Cold items** get *predicted* factors from their text: a ridge regression W, fitted on the
   warm items, maps a text vector x_i (MiniLM, TF-IDF, any encoder) into ALS's item-factor
   space, q_i ~ W x_i + b. A cold item is then scored p_u . (W x_i + b), by the same user
   vector as the warm ones (the attribute-to-factor mapping of Gantner et al., ICDM 2010;
   DropoutNet, Volkovs et al. 2017, learns such a map with a neural network).
3. Optionally, the result is **blended** with the text model's own score,
   ``alpha * s_id + (1 - alpha) * c * s_text``, where c matches the two scores' spreads and
   `choose_alpha` picks alpha on a later slice of the training period.
4. **Cold users** (no ALS vector) get the text model's scores by default: a text profile (a
   description, or a history written as text) is all there is to go on. Whether that beats
   simply showing them what is popular is an empirical question: pass ``cold_user_model`` (say
   a `PopularityRecommender`) chosen on a validation period with
   `recsys_helpers.evaluation.compare.validation_ndcg`.

Why a map into factor space rather than only a score blend? A blend adds the two models'
opinions item by item, but on a cold item the ID model has no opinion to add, so a blend ranks
cold items by text alone and its weight trades warm accuracy against cold accuracy. The map lets
text *stand in for the missing behaviour*: a new item lands near the warm items whose buyers it
is likely to share, and each user's learned taste, including the parts no text describes, ranks
it. Its scores are on the ALS scale, so warm and cold items can share one ranked list. The map
is only as good as text predicts behaviour: where taste is invisible in the words, W learns
little, and the predicted factors shrink towards the average item (a popularity-like guess).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.preprocessing import normalize

from ..data.schema import ITEM_COLUMNS, require_columns
from ..errors import ParameterError
from ..params import check_float, check_int
from .baselines import UNRANKABLE, ContentRecommender, Recommender

RIDGE_GRID = (0.01, 0.1, 1.0, 10.0, 100.0)  # penalties tried when ridge=None
ALPHA_GRID = (0.0, 0.25, 0.5, 0.75, 1.0)
SCALE_SAMPLE_USERS = 500  # users whose scores set the spread-matching constant c


class FusionRecommender(Recommender):
    """ALS (or any model with `user_factors` / `item_factors`) for warm items and users, text
    vectors mapped into its factor space for cold items, the text model for cold users.

    `text_vectors` holds one row per catalogue item, in the order of the ``items`` table given
    to `fit` (dense or sparse), or is an encoder: a SentenceTransformer or a callable mapping a
    list of texts to vectors, applied to ``items["text"]``. `text_model` scores cold users and
    the text side of the blend; by default a `ContentRecommender` on the same vectors (mean of
    the history's item vectors), whose new users get popularity. Pass e.g. a
    `TextProfileRecommender` on user descriptions, or a `BiEncoderRecommender` with
    ``user_texts``, to give new users personal lists. `fit` fits both models, unless
    ``fit_text_model=False``: then `text_model` must be fitted already on the same data (to
    reuse an expensive one, such as a fine-tuned bi-encoder). `cold_user_model` (None: the
    text model) scores users without ID factors instead; `fit` fits it. `cold_scale`
    multiplies the predicted factors of cold items: a ridge prediction is shrunk towards the
    average item, so its scores are smaller than those of warm items the user likes equally,
    and in a list that mixes both a cold item may never reach the top (choose the scale on a
    validation period, e.g. with `recsys_helpers.evaluation.compare.validation_ndcg`).

    `alpha` is the weight of the ID side (1: no blend, and warm items score exactly as the ID
    model scores them); `ridge` the map's penalty (None: chosen by efficient leave-one-out over
    `RIDGE_GRID`); `min_interactions` how many distinct users an item needs to teach the map
    (items with fewer have noisy factors). After `fit`: `factor_map` (the fitted ridge),
    `predicted_factors` (the map's factors of every item), `item_factors` (ALS's for warm
    items, predicted for cold ones) and `text_scale` (the constant c of the blend).
    """

    name = "fusion"

    def __init__(
        self, id_model: Recommender, text_vectors: Any, text_model: Recommender | None = None,
        alpha: float = 1.0, ridge: float | None = None, min_interactions: int = 1,
        fit_text_model: bool = True, cold_user_model: Recommender | None = None,
        cold_scale: float = 1.0,
    ) -> None:
        if not isinstance(id_model, Recommender):
            raise ParameterError(
                f"id_model must be a Recommender such as ALSRecommender, got "
                f"{type(id_model).__name__}")
        if text_model is not None and not isinstance(text_model, Recommender):
            raise ParameterError(
                f"text_model must be a Recommender, got {type(text_model).__name__}")
        if text_vectors is None:
            raise ParameterError("text_vectors is required: item vectors (one row per item) "
                                 "or an encoder that maps texts to vectors")
        self.id_model = id_model
        self.text_vectors = text_vectors
        self.text_model = text_model
        self.alpha = check_float("alpha", alpha, low=0.0, high=1.0)
        self.ridge = None if ridge is None else check_float("ridge", ridge, low=1e-12)
        self.min_interactions = check_int("min_interactions", min_interactions, low=1)
        if not isinstance(fit_text_model, bool):
            raise ParameterError(
                f"fit_text_model must be True or False, got {fit_text_model!r}")
        if not fit_text_model and text_model is None:
            raise ParameterError("fit_text_model=False needs a text_model fitted already")
        self.fit_text_model = fit_text_model
        if cold_user_model is not None and not isinstance(cold_user_model, Recommender):
            raise ParameterError("cold_user_model must be a Recommender (e.g. "
                                 f"PopularityRecommender()), got {type(cold_user_model).__name__}")
        self.cold_user_model = cold_user_model
        self.cold_scale = check_float("cold_scale", cold_scale, low=0.0)

    def fit(self, train: pd.DataFrame, items: pd.DataFrame) -> FusionRecommender:
        require_columns(items, ITEM_COLUMNS, "item catalogue")
        self._train, self._items = train, items
        super().fit(train, items)
        del self._train, self._items
        return self

    def _fit(self) -> None:
        vectors = self._item_text_vectors(self._items)
        self.id_model.fit(self._train, self._items)
        factors = (getattr(self.id_model, "user_factors", None),
                   getattr(self.id_model, "item_factors", None))
        if any(f is None for f in factors):
            raise ParameterError(
                f"the id_model ({type(self.id_model).__name__}) exposes no user_factors / "
                "item_factors after fit; use ALSRecommender or another factor model")
        self.user_factors, item_factors = (np.asarray(f, dtype=np.float64) for f in factors)
        if item_factors.shape[0] != len(self.item_ids):
            raise ParameterError(
                f"the id_model has {item_factors.shape[0]} item factors for a catalogue of "
                f"{len(self.item_ids)} items")
        teaching = self.item_counts >= self.min_interactions
        if teaching.sum() < 2:
            raise ParameterError(
                f"only {int(teaching.sum())} item(s) have at least {self.min_interactions} "
                "users in training: too few to fit the map from text to factors")
        self.factor_map = _fit_ridge(vectors[teaching], item_factors[teaching], self.ridge)
        self.ridge_ = float(self.factor_map.alpha_ if self.ridge is None else self.ridge)
        self.predicted_factors = self.factor_map.predict(vectors)
        cold = self.item_counts == 0
        self.item_factors = item_factors.copy()
        # text stands in for behaviour; cold_scale undoes the ridge's shrinkage if asked to
        self.item_factors[cold] = self.cold_scale * self.predicted_factors[cold]
        self.text_recommender = (ContentRecommender(vectors) if self.text_model is None
                                 else self.text_model)
        if self.fit_text_model:
            self.text_recommender.fit(self._train, self._items)
        elif not np.array_equal(getattr(self.text_recommender, "item_ids", ()), self.item_ids):
            raise ParameterError("fit_text_model=False: the text_model must have been fitted "
                                 "on the same items table")
        self.text_scale = self._spread_ratio()
        self.cold_user_recommender = (self.text_recommender if self.cold_user_model is None
                                      else self.cold_user_model)
        if self.cold_user_model is not None and self.cold_user_model is not self.text_model:
            self.cold_user_model.fit(self._train, self._items)

    def _item_text_vectors(self, items: pd.DataFrame) -> np.ndarray | sp.spmatrix:
        """One L2-normalised text vector per catalogue item."""
        source = self.text_vectors
        if hasattr(source, "encode") or (callable(source) and not hasattr(source, "shape")):
            from .zero_shot import embed

            vectors = embed(source, items["text"].fillna("").astype(str).tolist())
        else:
            vectors = source if sp.issparse(source) else np.asarray(source, dtype=np.float64)
            if vectors.ndim != 2:
                raise ParameterError(
                    f"text_vectors must be a matrix (one row per item), got shape "
                    f"{vectors.shape}")
        if vectors.shape[0] != len(items):
            raise ParameterError(
                f"text_vectors has {vectors.shape[0]} rows but the catalogue has {len(items)} "
                "items; build the vectors from the same items table")
        return normalize(vectors)

    def _spread_ratio(self) -> float:
        """c = std(ID scores) / std(text scores) over a sample of training users and items, so
        that alpha weighs two scores of comparable spread."""
        rng = np.random.default_rng(0)
        n = min(SCALE_SAMPLE_USERS, len(self.user_index))
        users = self.user_index[np.sort(rng.choice(len(self.user_index), n, replace=False))]
        id_scores = self.id_scores(users).ravel()
        text_scores = np.asarray(self.text_recommender.score(list(users)), dtype=np.float64)
        text_scores = text_scores.ravel()
        id_spread = np.std(id_scores[np.isfinite(id_scores)])
        text_spread = np.std(text_scores[np.isfinite(text_scores)])
        return float(id_spread / text_spread) if text_spread > 0 else 1.0

    def id_scores(self, users: Sequence[str]) -> np.ndarray:
        """p_u . q_i with ALS's factors for warm items and the mapped ones for cold items;
        rows of users without factors are NaN (the text model answers for them)."""
        rows = self.user_index.get_indexer(list(users))
        scores = np.full((len(rows), len(self.item_ids)), np.nan)
        known = rows >= 0
        scores[known] = self.user_factors[rows[known]] @ self.item_factors.T
        return scores

    def score(self, users: Sequence[str]) -> np.ndarray:
        users = list(users)
        known = self.user_index.get_indexer(users) >= 0
        scores = self.id_scores(users)
        if self.alpha < 1:
            text = np.asarray(self.text_recommender.score(users), dtype=np.float64)
            scores[known] = (self.alpha * scores[known]
                             + (1 - self.alpha) * self.text_scale * text[known])
        if not known.all():  # new users: the text profile, or what cold_user_model says
            unknown = [u for u, k in zip(users, known, strict=True) if not k]
            scores[~known] = np.asarray(self.cold_user_recommender.score(unknown),
                                        dtype=np.float64)
        return np.where(np.isnan(scores), UNRANKABLE, scores)


def choose_alpha(
    model: FusionRecommender, train: pd.DataFrame, items: pd.DataFrame,
    alphas: Sequence[float] = ALPHA_GRID, valid_fraction: float = 0.2, k: int = 10,
    slice_name: str = "all", seed: int = 0,
) -> tuple[float, pd.Series]:
    """The blend weight with the best validation NDCG@k, and the NDCG of every weight tried.

    The training interactions are cut in time: a copy of `model` is fitted on the earlier
    `1 - valid_fraction` and every alpha is scored on the later part (alpha changes only the
    scoring, so one fit serves all). The test period is never looked at. Refit the model on
    all of `train` with the chosen alpha afterwards.
    """
    from ..evaluation.compare import evaluate_slices, validation_period

    if not isinstance(model, FusionRecommender):
        raise ParameterError(f"model must be a FusionRecommender, got {type(model).__name__}")
    grid = [check_float(f"alphas[{i}]", a, low=0.0, high=1.0) for i, a in enumerate(alphas)]
    if not grid:
        raise ParameterError("alphas is empty")
    check_int("k", k, low=1)
    early, late, candidates = validation_period(train, items, valid_fraction)
    trial = copy.deepcopy(model).fit(early, items)
    ndcg = {}
    for alpha in grid:
        trial.alpha = alpha
        per_user = evaluate_slices({"fusion": trial}, early, late, candidates,
                                   slices=(slice_name,), ndcg_k=k, seed=seed)
        ndcg[alpha] = float(per_user["ndcg"].mean())
    table = pd.Series(ndcg, name=f"validation NDCG@{k}").rename_axis("alpha")
    return float(table.idxmax()), table


def _fit_ridge(vectors: Any, targets: np.ndarray, penalty: float | None) -> Ridge | RidgeCV:
    """Ridge regression from text vectors to factors (with an intercept: the mean item)."""
    if penalty is not None:
        return Ridge(alpha=penalty).fit(vectors, targets)
    return RidgeCV(alphas=RIDGE_GRID).fit(vectors, targets)


__all__: list[str] = ["ALPHA_GRID", "RIDGE_GRID", "FusionRecommender", "choose_alpha"]
