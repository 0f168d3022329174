"""The search rankers and their evaluation: nDCG against scikit-learn, BM25, dense retrieval
with exact and faiss search, fusion and re-ranking on tiny catalogues."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import ndcg_score

from recsys_helpers.errors import ParameterError
from recsys_helpers.search.dense import DenseRetriever, positive_pairs
from recsys_helpers.search.evaluation import ndcg_at_k, random_floor, ranked_cells
from recsys_helpers.search.fusion import (
    blend,
    reciprocal_rank_fusion,
    standardise,
    tune_blend,
)
from recsys_helpers.search.lexical import BM25Ranker
from recsys_helpers.search.rerank import hard_pairs, rerank
from recsys_helpers.search.tasks import RankingTask, task_from_judgements

pytestmark = pytest.mark.unit


def _task(n_queries=30, width=25, seed=0, pad=True):
    rng = np.random.default_rng(seed)
    candidates = np.tile(np.arange(width), (n_queries, 1))
    gains = rng.integers(0, 4, size=(n_queries, width))
    gains[:, 0] = 1  # every query has something to find
    if pad:
        for q in range(n_queries):
            candidates[q, rng.integers(5, width + 1):] = -1
    gains[candidates < 0] = 0
    return RankingTask([f"q{q}" for q in range(n_queries)], candidates, gains)


def test_ndcg_matches_scikit_learn_per_query():
    task = _task()
    scores = np.random.default_rng(1).random(task.candidates.shape)  # no ties
    ours = ndcg_at_k(task, np.where(task.mask, scores, -np.inf), k=10)
    for q in range(len(task)):
        keep = task.mask[q]
        expected = ndcg_score(task.gains[q, keep][None], scores[q, keep][None], k=10)
        assert ours[q] == pytest.approx(expected)


def test_perfect_and_reversed_orders():
    task = _task(pad=False)
    assert ndcg_at_k(task, task.gains + 0.001 * np.arange(task.gains.shape[1])[::-1]) \
        == pytest.approx(1.0)
    worst = ndcg_at_k(task, -task.gains.astype(float), k=3)
    assert (worst < 1).all()


def test_ties_are_broken_at_random_not_by_catalogue_order():
    task = RankingTask(["q"] * 200, np.tile(np.arange(20), (200, 1)),
                       np.tile(np.r_[np.zeros(10, int), np.ones(10, int)], (200, 1)))
    tied = ndcg_at_k(task, np.zeros((200, 20)), k=5)
    # catalogue order would put the ten zeros first (nDCG 0); a random order finds some ones
    assert tied.mean() == pytest.approx(random_floor(task, k=5, draws=50).mean(), abs=0.05)
    assert tied.mean() > 0.3


def test_padding_is_never_ranked_and_bad_scores_raise():
    task = _task()
    top = ranked_cells(task, np.where(task.mask, 0.0, 99.0))
    n_real = task.mask.sum(axis=1)
    for q in range(len(task)):
        assert task.mask[q, top[q, :n_real[q]]].all()
    with pytest.raises(ParameterError, match="shape"):
        ndcg_at_k(task, np.zeros((2, 2)))
    with pytest.raises(ParameterError, match="NaN"):
        ndcg_at_k(task, np.full(task.candidates.shape, np.nan))


def test_task_from_judgements_drops_queries_with_nothing_to_find():
    from recsys_helpers.data.search_sets import JudgedSearchSet

    data = JudgedSearchSet(
        "toy", pd.DataFrame({"query_id": [5, 6], "text": ["tent", "kettle"]}),
        pd.DataFrame({"product_id": [1, 2, 3], "text": ["a tent", "a kettle", "a pan"]}),
        pd.DataFrame({"query_id": [5, 5, 6], "product_id": [1, 3, 2], "gain": [2, 0, 0]}), 3)
    task = task_from_judgements(data, [5, 6])
    assert task.query_texts == ["tent"]
    assert task.candidates.tolist() == [[0, 2]] and task.gains.tolist() == [[2, 0]]


PRODUCTS = ["Lightweight camping tent for two", "Stainless steel kettle, whistles",
            "Down sleeping bag for cold nights", "Espresso machine with milk frother",
            "Tents and tarps: a guide book", "Cast iron frying pan"]


def test_bm25_ranks_by_shared_stemmed_words():
    bm25 = BM25Ranker().fit(PRODUCTS)
    scores = bm25.scores(["camping tents", "kettle", "unknownword"])
    assert scores.shape == (3, len(PRODUCTS))
    assert scores[0].argmax() == 0 and scores[0, 4] > 0  # "tents" matches "tent" and "tents"
    assert scores[1].argmax() == 1
    assert (scores[2] == 0).all()
    with pytest.raises(ParameterError, match="fit"):
        BM25Ranker().scores(["tent"])


@pytest.fixture(scope="module")
def dense():
    return DenseRetriever("minilm", max_length=32, device="cpu").index(PRODUCTS)


def test_dense_scores_are_cosines_and_faiss_agrees_with_exact_search(dense):
    queries = ["somewhere to sleep outdoors", "make coffee at home", "boil water"]
    scores = dense.scores(queries)
    assert scores.shape == (3, len(PRODUCTS)) and np.abs(scores).max() <= 1.0 + 1e-5
    vectors = dense.encode(queries)
    exact = dense.exact_top_k(vectors, 3)
    assert (exact == np.argsort(-scores, axis=1)[:, :3]).all()
    assert (dense.faiss_top_k(dense.faiss_index("flat"), vectors, 3) == exact).all()
    assert dense.faiss_top_k(dense.faiss_index("hnsw"), vectors, 3).shape == (3, 3)
    assert scores[2].argmax() == 1  # "boil water" -> the kettle, without a shared word


def test_bf16_encoding_is_close_to_fp32(dense):
    bf16 = DenseRetriever(dense.encoder, max_length=32, device="cpu", precision="bf16")
    queries = ["somewhere to sleep outdoors", "make coffee at home", "boil water"]
    bf16.index(PRODUCTS)
    cosines = (bf16.product_vectors * dense.product_vectors).sum(axis=1)
    assert cosines.min() > 0.995
    assert (bf16.scores(queries).argmax(axis=1) == dense.scores(queries).argmax(axis=1)).all()
    with pytest.raises(ParameterError, match="precision"):
        DenseRetriever(dense.encoder, device="cpu", precision="fp16")


def test_fine_tuning_learns_a_link_the_words_do_not_state(dense):
    # "code 7" means the frying pan in this shop; no pretrained model knows that.
    queries = [f"code {n % 6}" for n in range(60)]
    products = [PRODUCTS[n % 6] for n in range(60)]
    tuned = DenseRetriever(dense.encoder, max_length=32, device="cpu")
    losses = tuned.fine_tune(queries, products, steps=30, batch_size=6, lr=3e-4, seed=0)
    assert len(losses) == 30 and np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
    tuned.index(PRODUCTS)
    assert (tuned.scores([f"code {n}" for n in range(6)]).argmax(axis=1) == np.arange(6)).all()
    # the zero-shot retriever is untouched
    assert np.allclose(dense.scores(["boil water"]), dense.encode(["boil water"])
                       @ dense.product_vectors.T)
    tuned.fine_tune(queries, products, steps=1, batch_size=6)
    with pytest.raises(ParameterError, match="index"):
        tuned.scores(["x"])  # the catalogue's vectors are stale after training


def test_positive_pairs_prefer_higher_gains():
    task = RankingTask(["q"] * 400, np.tile(np.arange(3), (400, 1)),
                       np.tile(np.array([0, 1, 3]), (400, 1)))
    pairs = positive_pairs(task, per_query=1, seed=0)
    assert set(pairs["product_row"]) == {1, 2}  # never the gain-0 product
    share = (pairs["product_row"] == 2).mean()
    assert share == pytest.approx(7 / 8, abs=0.05)  # (2^3 - 1) / ((2^1 - 1) + (2^3 - 1))


def test_standardise_and_blend():
    task = _task()
    rng = np.random.default_rng(0)
    a, b = rng.random(task.candidates.shape), rng.random(task.candidates.shape)
    z = standardise(task, a)
    for q in range(len(task)):
        values = z[q, task.mask[q]]
        assert values.mean() == pytest.approx(0, abs=1e-9)
    assert np.array_equal(np.isinf(z), ~task.mask)
    assert np.allclose(blend(task, a, b, 1.0)[task.mask], standardise(task, b)[task.mask])
    gains = task.gains + 0.0
    weight, table = tune_blend(task, a, np.where(task.mask, gains, -np.inf))
    by_weight = table.set_index("weight")["ndcg"]
    assert len(table) == 11 and weight >= 0.5  # the perfect ranker dominates the blend
    assert by_weight[weight] == by_weight.max() == pytest.approx(by_weight[1.0])
    with pytest.raises(ParameterError, match="weight"):
        blend(task, a, b, 1.5)


def test_reciprocal_rank_fusion_of_one_ranking_keeps_its_order():
    task = _task(pad=False)
    scores = np.random.default_rng(2).random(task.candidates.shape)
    fused = reciprocal_rank_fusion(task, [scores])
    assert (ranked_cells(task, fused) == ranked_cells(task, scores)).all()


class _Oracle:
    """Stands in for a cross-encoder: the 'probability' is the product text's number / 100."""

    def predict(self, frame, batch_size=128):
        return frame["item_text"].str.extract(r"(\d+)")[0].astype(float).to_numpy() / 100


def test_rerank_reorders_only_the_top_depth():
    width = 20
    texts = [f"product {n}" for n in range(width)]
    task = RankingTask(["q"], np.arange(width)[None], np.arange(width)[None] % 4)
    first = -np.arange(width, dtype=float)[None]  # first stage: product 0 first
    scores = rerank(task, first, texts, _Oracle(), depth=5)
    order = ranked_cells(task, scores)[0]
    assert order[:5].tolist() == [4, 3, 2, 1, 0]  # re-read by the oracle
    assert order[5:].tolist() == list(range(5, width))  # below the depth: first-stage order
    pairs = hard_pairs(task, first, texts, depth=10, per_query=2, min_gain=2, seed=0)
    assert sorted(pairs["label"].tolist()) == [0, 0, 1, 1]
    assert ((pairs["gain"] >= 2) == (pairs["label"] == 1)).all()
