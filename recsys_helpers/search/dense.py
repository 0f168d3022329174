"""Dense retrieval: a sentence encoder embeds queries and products in one space, and a product's
score for a query is the cosine of their vectors.

The catalogue is encoded once (batched, in inference mode); a query then costs one encoder pass
and one matrix product, or a nearest-neighbour search in a `faiss` index. `exact_top_k` and
`faiss_top_k` give the same lists for a flat (exact) index; an HNSW graph trades a little recall
for speed on large catalogues.

Fine-tuning (`DenseRetriever.fine_tune`) uses (query, relevant product) pairs with **in-batch
negatives**: in a batch of B pairs, the other B - 1 products serve as each query's negatives
(`recsys_helpers.models.bi_encoder.in_batch_negatives_loss`, batches without repeated queries
or products from `no_duplicate_batches`). Graded judgements enter through the positives:
`positive_pairs` draws a query's positives with probability proportional to 2^gain - 1, so a
perfect match is drawn 7 times as often as a partial one (gain 3 vs 1).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..models.bi_encoder import in_batch_negatives_loss, no_duplicate_batches
from ..models.pretrained import encode_texts, load_encoder
from ..params import check_choice, check_float, check_int
from ..runtime import pick_device, set_seed
from ..train import PRECISIONS, autocast_context, parameter_groups
from .tasks import RankingTask

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


def positive_pairs(task: RankingTask, per_query: int = 4, seed: int = 0) -> pd.DataFrame:
    """Up to `per_query` distinct positives per query, drawn with probability proportional to
    2^gain - 1 among its candidates with gain > 0. Columns query_row, product_row, gain."""
    check_int("per_query", per_query, low=1)
    rng = np.random.default_rng(seed)
    rows = []
    for q in range(len(task)):
        cells = np.flatnonzero(task.mask[q] & (task.gains[q] > 0))
        if not len(cells):
            continue
        weights = 2.0 ** task.gains[q, cells] - 1.0
        picked = rng.choice(cells, size=min(per_query, len(cells)), replace=False,
                            p=weights / weights.sum())
        rows += [(q, int(task.candidates[q, c]), int(task.gains[q, c])) for c in picked]
    return pd.DataFrame(rows, columns=["query_row", "product_row", "gain"])


class DenseRetriever:
    """A sentence encoder used as a retriever; `model` is a name for `load_encoder` or a
    SentenceTransformer, which is copied (fine-tuning never changes the caller's model).
    ``precision="bf16"`` encodes (and, by default, fine-tunes) under bfloat16 autocast: about 3x
    faster on a CPU with bfloat16 matrix instructions."""

    def __init__(self, model: str | SentenceTransformer = "minilm", max_length: int = 64,
                 batch_size: int = 128, device: str = "auto", precision: str = "fp32") -> None:
        self.max_length = check_int("max_length", max_length, low=8, high=512)
        self.batch_size = check_int("batch_size", batch_size, low=1)
        self.precision = check_choice("precision", precision, PRECISIONS)
        self.device = pick_device(device)
        if isinstance(model, str):
            self.encoder = load_encoder(model, device=self.device)
        elif callable(model) and hasattr(model, "tokenize"):
            self.encoder = copy.deepcopy(model).to(self.device)
        else:
            raise ParameterError("model must be a model name or a SentenceTransformer, got "
                                 f"{type(model).__name__}")
        self.encoder.max_seq_length = self.max_length
        self.loss_history: list[float] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised float32 vectors, one row per text."""
        self.encoder.eval()
        return encode_texts(self.encoder, texts, batch_size=self.batch_size,
                            precision=self.precision)

    def index(self, product_texts: Sequence[str]) -> DenseRetriever:
        """Encode the catalogue once; `scores` and the top-k searches then reuse it."""
        self.product_vectors = self.encode(product_texts)
        return self

    def _vectors(self) -> np.ndarray:
        if not hasattr(self, "product_vectors"):
            raise ParameterError("call index(product_texts) first")
        return self.product_vectors

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        """Cosine of every query with every indexed product, (n_queries, n_products)."""
        return self.encode(queries) @ self._vectors().T

    def exact_top_k(self, query_vectors: np.ndarray, k: int) -> np.ndarray:
        """The k best product rows per query by brute force (numpy), best first."""
        scores = query_vectors @ self._vectors().T
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
        return np.take_along_axis(top, order, axis=1)

    def faiss_index(self, kind: str = "flat", hnsw_neighbours: int = 32) -> object:
        """A faiss inner-product index over the catalogue: "flat" (exact) or "hnsw" (a graph,
        approximate). Inner product equals cosine on these normalised vectors."""
        import faiss

        check_choice("kind", kind, ("flat", "hnsw"))
        vectors = np.ascontiguousarray(self._vectors(), dtype=np.float32)
        if kind == "flat":
            index = faiss.IndexFlatIP(vectors.shape[1])
            index.add(vectors)
            return index
        index = faiss.IndexHNSWFlat(vectors.shape[1], hnsw_neighbours,
                                    faiss.METRIC_INNER_PRODUCT)
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)  # a graph built in parallel depends on thread timing
        try:
            index.add(vectors)
        finally:
            faiss.omp_set_num_threads(threads)
        return index

    @staticmethod
    def faiss_top_k(index: object, query_vectors: np.ndarray, k: int) -> np.ndarray:
        """The k best product rows per query from a faiss index, best first."""
        _, rows = index.search(np.ascontiguousarray(query_vectors, dtype=np.float32), k)
        return rows

    def fine_tune(self, query_texts: Sequence[str], product_texts: Sequence[str],
                  steps: int = 100, batch_size: int = 32, lr: float = 5e-5,
                  warmup_ratio: float = 0.1, scale: float = 20.0, weight_decay: float = 0.01,
                  seed: int = 0, precision: str | None = None) -> list[float]:
        """Train on (query, relevant product) pairs with in-batch negatives for `steps` steps
        (passes over the pairs repeat as needed); returns the loss of every step. Re-index the
        catalogue afterwards: its vectors came from the encoder before training. `precision`
        defaults to the retriever's."""
        import torch
        from transformers import get_linear_schedule_with_warmup

        queries, products = list(query_texts), list(product_texts)
        if len(queries) != len(products) or len(queries) < 2:
            raise ParameterError("fine_tune needs at least two (query, product) pairs, as two "
                                 f"lists of the same length; got {len(queries)} and "
                                 f"{len(products)}")
        check_int("steps", steps, low=1)
        check_int("batch_size", batch_size, low=2)
        check_float("lr", lr, low=1e-8, high=1.0)
        precision = self.precision if precision is None else check_choice("precision", precision,
                                                                          PRECISIONS)
        set_seed(seed)
        rng = np.random.default_rng(seed)
        plan: list[np.ndarray] = []
        while len(plan) < steps:
            before = len(plan)
            plan += list(no_duplicate_batches((queries, products), batch_size, rng))
            if len(plan) == before:
                raise ParameterError("no batch without repeated queries or products can be "
                                     "formed: use a smaller batch_size")
        plan = plan[:steps]
        model = self.encoder
        model.train()
        optimizer = torch.optim.AdamW(parameter_groups(model, weight_decay), lr=lr)
        schedule = get_linear_schedule_with_warmup(optimizer, round(warmup_ratio * steps), steps)
        for batch in plan:
            sides = []
            for texts in (queries, products):
                features = model.tokenizer(
                    [texts[i] for i in batch.tolist()], padding=True, truncation=True,
                    max_length=self.max_length, return_tensors="pt")  # padded per batch
                features = {name: value.to(self.device) for name, value in features.items()}
                with autocast_context(self.device, precision):
                    sides.append(model(features)["sentence_embedding"].float())
            loss = in_batch_negatives_loss(sides[0], sides[1], scale)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            self.loss_history.append(loss.item())
        model.eval()
        if hasattr(self, "product_vectors"):
            del self.product_vectors  # stale: encoded before training
        return self.loss_history
