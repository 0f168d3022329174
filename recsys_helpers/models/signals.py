"""A text model's score combined with other signals of each item: how popular, how recent.

The article's recipe for personalised recommendation ends with "combine the model's score with
other features". Two such features every shop has, and that no text states:

- **popularity**: log(1 + the number of users who interacted with the item in training);
- **recency**: minus the days between the item's last training interaction and the end of the
  training period (an item bought yesterday is "hot"; one last bought a year ago is not).

`SignalBlendRecommender` scores ``z(text) + sum_k w_k * z(signal_k)``, where ``z`` standardises:
the text scores per user (each user's row to mean 0 and standard deviation 1, so that one weight
means the same for users whose cosines are spread widely or narrowly) and each signal over the
catalogue. Items without a training interaction (cold items) get the lowest popularity and
recency of the catalogue: there is no evidence that they sell, so the signals neither help nor
separate them, and among cold items the text alone decides. The weights are for the reader to
choose on a validation period (`recsys_helpers.evaluation.compare.validation_ndcg`), never on
the test set.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..params import check_float
from .baselines import Recommender

SIGNALS = ("popularity", "recency")
SECONDS_PER_DAY = 86_400


class SignalBlendRecommender(Recommender):
    """A text model's per-user standardised scores plus weighted item signals (`SIGNALS`).

    `weights` maps a signal name to its weight (missing names weigh 0). `fit` fits a copy of
    `text_model` unless ``fit_text_model=False``: then `text_model` must be fitted already on
    the same training data and catalogue (to reuse an expensive one, such as a fine-tuned
    bi-encoder). After `fit`: `signals` (a DataFrame, one standardised column per signal, one
    row per catalogue item).
    """

    name = "text + signals"

    def __init__(self, text_model: Recommender, weights: Mapping[str, float],
                 fit_text_model: bool = True) -> None:
        if not isinstance(text_model, Recommender):
            raise ParameterError(
                f"text_model must be a Recommender, got {type(text_model).__name__}")
        if not isinstance(weights, Mapping):
            raise ParameterError(f"weights must map signal names to numbers, e.g. "
                                 f"{{'popularity': 1.0}}, got {type(weights).__name__}")
        unknown = sorted(set(weights) - set(SIGNALS))
        if unknown:
            raise ParameterError(f"unknown signal(s) {unknown}: the signals are {list(SIGNALS)}")
        self.weights = {name: check_float(f"weights[{name!r}]", weights.get(name, 0.0))
                        for name in SIGNALS}
        if not isinstance(fit_text_model, bool):
            raise ParameterError(f"fit_text_model must be True or False, got {fit_text_model!r}")
        self.text_model = text_model
        self.fit_text_model = fit_text_model

    def fit(self, train: pd.DataFrame, items: pd.DataFrame) -> SignalBlendRecommender:
        self._train = train
        super().fit(train, items)
        if self.fit_text_model:
            self.text_recommender = copy.deepcopy(self.text_model).fit(train, items)
        else:
            self.text_recommender = self.text_model
            if not np.array_equal(getattr(self.text_model, "item_ids", ()), self.item_ids):
                raise ParameterError("fit_text_model=False: the text_model must have been "
                                     "fitted on the same items table")
        del self._train
        return self

    def _fit(self) -> None:
        train = self._train
        end = train["timestamp"].max()
        last = train.groupby("item_id")["timestamp"].max().reindex(self.item_ids)
        age_days = ((end - last) / SECONDS_PER_DAY).to_numpy(dtype=np.float64)
        raw = pd.DataFrame({"popularity": np.log1p(self.item_counts.astype(np.float64)),
                            "recency": -age_days}, index=self.item_ids)
        raw = raw.fillna(raw.min())  # cold items: no evidence of selling, the catalogue's lowest
        spread = raw.std(ddof=0).replace(0.0, 1.0)
        self.signals = (raw - raw.mean()) / spread

    def score(self, users: Sequence[str]) -> np.ndarray:
        text = np.asarray(self.text_recommender.score(list(users)), dtype=np.float64)
        finite = np.isfinite(text)
        masked = np.where(finite, text, np.nan)
        with np.errstate(invalid="ignore"):
            mean = np.nanmean(masked, axis=1, keepdims=True)
            spread = np.nanstd(masked, axis=1, keepdims=True)
        spread = np.where(np.isfinite(spread) & (spread > 0), spread, 1.0)
        scores = (np.where(finite, text, 0.0) - np.nan_to_num(mean)) / spread
        for name, weight in self.weights.items():
            if weight:
                scores = scores + weight * self.signals[name].to_numpy()[None, :]
        return np.where(finite, scores, text)  # what the text model cannot rank stays so


__all__: list[str] = ["SIGNALS", "SignalBlendRecommender"]
