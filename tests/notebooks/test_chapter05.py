"""Chapter 5 (the fine-tuning code): the article's defects show, the corrected pipeline runs and
the comparison holds, on the synthetic shop (the committed run at seed 0, which nbval recomputes;
seed 2 with `make test-seeds`) and on MovieLens.

Expected run time on the 2-core reference CPU when it is not busy: about a minute per papermill
run (reduced sizes), a few seconds per invalid-parameter case.

Amazon Gift Cards is not rerun here (to keep CI's time): what its run asserted (the article's
defects, the table, a majority accuracy near 0.8) is a subset of what the MovieLens run asserts,
and the Gift Cards loader and click task are exercised in CI by chapters 5b and 6.3. Its last run
here passed (CI of 2026-12-03 on fcabd41).
"""

from __future__ import annotations

import pytest

from recsys_helpers.report import read_records

from .conftest import NOTEBOOKS

pytestmark = [pytest.mark.notebooks]

CHAPTER = "05_finetuning_code"
# Small enough for well under a minute of fine-tuning on a CPU.
SMALL = {"n_clicks": 300, "n_valid": 300, "n_test": 400, "rank_users": 60, "demo_size": 32,
         "max_examples": 4000}
MODELS = ("popularity", "als", "tfidf", "zero_shot", "finetuned")
TEXT_MODELS = ("tfidf", "zero_shot", "finetuned")


def _check_article_defects(figures):
    assert figures["article_distinct_inputs"] == 1  # encode(...)[0]: every example is [CLS]s
    assert figures["article_auc_identical_inputs"] == 0.5  # identical inputs, identical scores
    # Per-batch padding of length-grouped batches computes far fewer padding tokens than 128.
    assert figures["padding_share_grouped"] < 0.1 < 0.4 < figures["padding_share_fixed128"]


def _check_table(figures):
    for model in MODELS:
        assert 0.0 <= figures[f"auc_test_{model}"] <= 1.0
        assert 0.0 <= figures[f"sampled_ndcg_all_{model}"] <= 1.0
    # The corrected pipeline learns something: better than chance against sampled non-clicks.
    assert figures["auc_finetuned_valid"] > 0.55
    assert figures["auc_test_vs_sampled_finetuned"] > 0.5
    # Trained on a balanced set, its probabilities shifted to the validation click share are
    # as good as a constant at that share or better (unshifted, they are far worse).
    assert figures["log_loss_finetuned_test"] < figures["log_loss_constant_test"] + 0.02


def _check_shop(figures):
    _check_article_defects(figures)
    _check_table(figures)
    assert figures["majority_accuracy"] > 0.7  # most impressions are not clicked
    # Cold items: the ID model ties them at the bottom (worse than a random order) ...
    als = figures["sampled_ndcg_cold_items_als"]
    assert als < figures["sampled_ndcg_cold_items_random"]
    # ... while the models that read text place them: at least 1.5x the ID model (and clearly
    # above 0 when it scores 0), and above a random order.
    for model in TEXT_MODELS:
        assert figures[f"sampled_ndcg_cold_items_{model}"] >= 1.5 * als
        assert figures[f"sampled_ndcg_cold_items_{model}"] > als + 0.15
    for model in ("tfidf", "zero_shot"):
        random_order = figures["sampled_ndcg_cold_items_random"]
        assert figures[f"sampled_ndcg_cold_items_{model}"] > random_order
    # The pretrained similarity separates clicks from never-shown items without any training.
    assert figures["auc_test_vs_sampled_zero_shot"] > 0.6
    # A linear probe: the cross-encoder's [CLS] carries less click signal than the embeddings.
    assert figures["probe_auc_sentence_product"] > figures["probe_auc_pair_cls"]


def test_committed_run():
    _check_shop(read_records(NOTEBOOKS / f"{CHAPTER}.ipynb"))


@pytest.mark.extra_seeds  # about 2.5 minutes on the 2-core Xeon: `make test-seeds`, not CI
def test_synthetic_shop_other_seed(run_chapter):
    # rank_users stays at its default: fewer users leave too few with a new item to rank.
    _check_shop(run_chapter(CHAPTER, seed=2, n_clicks=400, n_valid=300, n_test=400,
                            demo_size=32))


@pytest.mark.shared_data
def test_movielens(mirror, run_chapter):
    figures = run_chapter(CHAPTER, dataset="ml-latest-small", **SMALL)
    _check_article_defects(figures)
    _check_table(figures)
    assert figures["majority_accuracy"] == pytest.approx(0.8, abs=0.02)  # 4 negatives each
    assert figures["auc_test_finetuned"] > 0.6
    # New films: the ID model ties them at the bottom; the MiniLM models place them.
    for model in ("zero_shot", "finetuned"):
        als = figures["sampled_ndcg_cold_items_als"]
        assert figures[f"sampled_ndcg_cold_items_{model}"] > als + 0.15


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"dataset": "amazon"}, "parameter 'dataset' must be one of"),
        ({"max_length": 8}, "parameter 'max_length' must be >= 16"),
        ({"rank_negatives": 5}, "parameter 'rank_negatives' must be >= 10"),
        ({"lr": "fast"}, "parameter 'lr' must be a number"),
    ],
)
def test_invalid_parameters_stop_with_a_clear_message(chapter_error, parameters, message):
    error = chapter_error(CHAPTER, **parameters)
    assert error.ename == "ParameterError"
    assert message in error.evalue
