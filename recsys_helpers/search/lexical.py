"""BM25, the lexical baseline every semantic ranker must beat (via the `bm25s` library).

BM25 scores a product by the query words it contains, each weighted by its rarity (IDF) and
saturated in its count, with a length normalisation: a strong, cheap baseline that fails only
where query and product say the same thing in different words. Words are lower-cased, English
stop words dropped and stemmed (Snowball, so "tents" matches "tent").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ParameterError
from ..params import check_float


class BM25Ranker:
    """BM25 over a fixed list of product texts; `scores(queries)` is (n_queries, n_products)."""

    def __init__(self, k1: float = 1.5, b: float = 0.75) -> None:
        self.k1 = check_float("k1", k1, low=0.0, high=10.0)
        self.b = check_float("b", b, low=0.0, high=1.0)

    def _tokens(self, texts: Sequence[str]) -> list[list[str]]:
        import bm25s

        return bm25s.tokenize(list(texts), stopwords="en", stemmer=self._stemmer,
                              return_ids=False, show_progress=False)

    def fit(self, product_texts: Sequence[str]) -> BM25Ranker:
        import bm25s
        import Stemmer

        if isinstance(product_texts, str) or not len(product_texts):
            raise ParameterError("product_texts must be a non-empty list of strings")
        self._stemmer = Stemmer.Stemmer("english").stemWords
        self.model = bm25s.BM25(k1=self.k1, b=self.b)
        self.model.index(self._tokens(product_texts), show_progress=False)
        self.n_products = len(product_texts)
        return self

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        if not hasattr(self, "model"):
            raise ParameterError("call fit(product_texts) before scores(queries)")
        return np.stack([self.model.get_scores(tokens) for tokens in self._tokens(queries)]
                        ) if len(queries) else np.zeros((0, self.n_products), np.float32)
