"""Chapter 6.4 (product search): on the lab shop (the committed seed 0, which nbval recomputes,
and seed 1 with `make test-seeds`), the hybrid beats BM25 and fine-tuning beats the zero-shot
retriever, with paired intervals that exclude 0; on CrowdFlower the table is produced and only
what held at two seeds is asserted; bad input stops early.

The cross-encoder re-ranker trains (its training loss falls well below ln 2 in the default five
epochs: 0.693 -> 0.481 at seed 0, 0.696 -> 0.508 at seed 1) but does not generalise to new
queries at this budget (validation AUC 0.502 and 0.514),
so re-ranking loses to the hybrid; the tests assert that it fits its pairs, and nothing about
its ranking.

Expected run time on the 2-core reference CPU when it is not busy: a few minutes per papermill
run (reduced sizes), a few seconds per invalid-parameter case.
"""

from __future__ import annotations

import pytest

from recsys_helpers.report import read_records

from .conftest import NOTEBOOKS

pytestmark = [pytest.mark.notebooks]

CHAPTER = "06d_product_search"
RANKERS = ("random", "bm25", "zero_shot", "finetuned", "hybrid", "rerank")


def _check_table(figures):
    for name in RANKERS:
        mean = figures[f"search_ndcg10_{name}"]
        assert 0.0 <= figures[f"search_ndcg10_{name}_ci_low"] <= mean
        assert mean <= figures[f"search_ndcg10_{name}_ci_high"] <= 1.0
    # A flat faiss index returns exactly the top-10 lists of the brute-force matrix product.
    assert figures["search_faiss_flat_same_top_k"] == 1.0
    # Every first-stage ranker beats a random order (the re-ranker is left out: on a CPU budget
    # it fits its pairs without generalising, and on CrowdFlower it reorders every judged
    # product).
    for name in ("bm25", "zero_shot", "finetuned", "hybrid"):
        assert figures[f"search_ndcg10_{name}"] > figures["search_ndcg10_random"]


def _check_reranker_trains(figures):
    # The fast-head, slow-encoder recipe fits its training pairs: the loss leaves ln 2 (0.693).
    assert figures["search_rerank_train_loss_start"] > 0.6
    assert figures["search_rerank_train_loss_end"] < 0.55


def _check_shop_claims(figures):
    _check_table(figures)
    _check_reranker_trains(figures)
    # The claims of the chapter, with paired intervals over test queries that exclude 0.
    assert figures["search_ndcg10_diff_hybrid_bm25_ci_low"] > 0
    assert figures["search_ndcg10_diff_finetuned_zero_shot_ci_low"] > 0


def test_committed_run():
    _check_shop_claims(read_records(NOTEBOOKS / f"{CHAPTER}.ipynb"))


@pytest.mark.extra_seeds  # about 3.5 minutes on the 2-core Xeon: `make test-seeds`, not CI
def test_shop_other_seed(run_chapter):
    _check_shop_claims(run_chapter(CHAPTER, seed=1))


@pytest.mark.shared_data
def test_crowdflower(mirror, run_chapter):
    # The cross-encoder at its default 5 epochs: at 2 (this test's setting until 2026-12-07) its
    # loss stayed at 0.689 -> 0.689, a re-ranker that never trained; at 5 it fits its 153 pairs
    # (0.686 -> 0.476) though with a validation AUC of only 0.559, and re-ranking scores 0.763,
    # near the random floor of 0.750. With 160 queries x 4 pairs (1,126 pairs, 4 epochs, about
    # 4 minutes, not a test) it reached 0.618 and 0.831, still below the hybrid's 0.896.
    figures = run_chapter(CHAPTER, dataset="crowdflower", seed=1, n_test_queries=60,
                          n_tune_queries=40, ce_train_queries=40)
    _check_table(figures)
    _check_reranker_trains(figures)
    # Most judged products are relevant: a random order of them already scores high.
    assert figures["search_ndcg10_random"] > 0.6


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"dataset": "amazon"}, "parameter 'dataset' must be one of"),
        ({"rerank_depth": 5}, "parameter 'rerank_depth' must be >= 10"),
        ({"lr": "fast"}, "parameter 'lr' must be a number"),
        ({"n_test_queries": 2000, "n_tune_queries": 1000}, "leave fewer than 20"),
    ],
)
def test_invalid_parameters_stop_with_a_clear_message(chapter_error, parameters, message):
    error = chapter_error(CHAPTER, **parameters)
    assert error.ename == "ParameterError"
    assert message in error.evalue
