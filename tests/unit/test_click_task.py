"""Click tasks from the lab shop (and the first synthetic shop): time splits without future
leaks into histories, cold flags, ranking candidates, the one builder of balanced click pairs,
and the bad parameters that must raise."""

from __future__ import annotations

import pandas as pd
import pytest

from recsys_helpers.data.click_pairs import (
    add_never_shown,
    click_pairs,
    sample_rows,
    search_click_pairs,
)
from recsys_helpers.data.click_task import (
    EXAMPLE_COLUMNS,
    NO_HISTORY,
    SPLITS,
    click_task_from_shop,
    ranking_candidates,
)
from recsys_helpers.data.schema import InteractionData
from recsys_helpers.data.shop import make_lab_shop
from recsys_helpers.data.synthetic import make_shop
from recsys_helpers.errors import ParameterError
from tests.unit.tiny_pairs import click_frame

pytestmark = pytest.mark.unit

SMALL = {"n_users": 400, "n_items": 200, "n_sessions": 4_000, "n_queries": 0}


@pytest.fixture(scope="module")
def shop():
    return make_lab_shop(seed=0, **SMALL)


@pytest.fixture(scope="module")
def task(shop):
    return click_task_from_shop(shop, max_examples=6_000, history_len=3, seed=0)


def test_lab_shop_task_has_the_schema_and_real_non_clicks(shop, task):
    assert list(task.examples.columns) == list(EXAMPLE_COLUMNS)
    assert len(task.examples) == 6_000
    assert set(task.examples["split"]) == set(SPLITS)
    assert set(task.examples["label"]) == {0, 1}
    # every example is an impression of the shop, so non-clicks were shown and not clicked
    shown = set(zip(shop.impressions["user_id"], shop.impressions["item_id"],
                    shop.impressions["timestamp"], strict=True))
    assert all(key in shown for key in zip(task.examples["user_id"], task.examples["item_id"],
                                           task.examples["timestamp"], strict=True))
    assert len(task.shown) == len(shop.impressions)
    assert len(task.interactions) == int(shop.impressions["clicked"].sum())
    texts = shop.items.set_index("item_id")["text"]
    assert (task.examples["item_text"].to_numpy()
            == texts[task.examples["item_id"]].to_numpy()).all()


def test_same_arguments_same_task(shop, task):
    again = click_task_from_shop(shop, max_examples=6_000, history_len=3, seed=0)
    pd.testing.assert_frame_equal(task.examples, again.examples)
    other = click_task_from_shop(shop, max_examples=6_000, history_len=3, seed=1)
    assert not task.examples["item_id"].equals(other.examples["item_id"])


def test_splits_follow_time(task):
    times = {name: task.split(name)["timestamp"] for name in SPLITS}
    assert times["train"].max() < task.train_end <= times["valid"].min()
    assert times["valid"].max() < task.test_start <= times["test"].min()


def test_histories_hold_only_earlier_clicks(shop, task):
    """Each history is the titles of the user's latest clicks strictly before the example,
    newest first: recomputed here from the raw impressions, never from the future."""
    titles = shop.items.set_index("item_id")["title"]
    clicks = shop.impressions[shop.impressions["clicked"]]
    rows = task.examples.sample(300, random_state=0)
    for row in rows.itertuples():
        earlier = clicks[(clicks["user_id"] == row.user_id)
                         & (clicks["timestamp"] < row.timestamp)]
        latest = earlier.sort_values("timestamp", kind="stable").tail(3)["item_id"][::-1]
        expected = "; ".join(titles[latest]) or NO_HISTORY
        assert row.history_text == expected


def test_no_click_of_the_same_session_leaks_into_a_history(shop, task):
    """A lab-shop session's impressions share one timestamp: a click elsewhere on the same
    slate must not enter the history of the slate's other slots."""
    titles = shop.items.set_index("item_id")["title"]
    clicks = shop.impressions[shop.impressions["clicked"]]
    same_session = task.examples.merge(clicks[["user_id", "timestamp", "item_id"]],
                                       on=["user_id", "timestamp"], suffixes=("", "_clicked"))
    same_session = same_session[same_session["item_id"] != same_session["item_id_clicked"]]
    assert len(same_session) > 50
    for row in same_session.head(200).itertuples():
        earlier = clicks[(clicks["user_id"] == row.user_id)
                         & (clicks["timestamp"] < row.timestamp)]
        latest = earlier.sort_values("timestamp", kind="stable").tail(3)["item_id"][::-1]
        assert row.history_text == ("; ".join(titles[latest]) or NO_HISTORY)


def test_cold_flags_mean_no_click_before_the_test_period(shop, task):
    clicks = shop.impressions[shop.impressions["clicked"]]
    early = clicks[clicks["timestamp"] < task.test_start]
    expected_item = ~task.examples["item_id"].isin(set(early["item_id"]))
    expected_user = ~task.examples["user_id"].isin(set(early["user_id"]))
    assert (task.examples["cold_item"] == expected_item).all()
    assert (task.examples["cold_user"] == expected_user).all()
    test = task.split("test")
    assert test["cold_item"].any() and test["cold_user"].any()  # new items and users arrive
    assert task.split("train")["cold_item"].mean() < test["cold_item"].mean()


def test_ranking_candidates_on_the_lab_shop(task):
    candidates = ranking_candidates(task, n_negatives=9, max_users=40, history_len=3, seed=0)
    before = task.interactions[task.interactions["timestamp"] < task.test_start]
    after = task.interactions[task.interactions["timestamp"] >= task.test_start]
    touched = task.interactions.groupby("user_id")["item_id"].agg(set)
    for user, group in candidates.groupby("user_id"):
        positives = set(group.loc[group["label"] == 1, "item_id"])
        known = set(before.loc[before["user_id"] == user, "item_id"])
        assert positives == set(after.loc[after["user_id"] == user, "item_id"]) - known
        negatives = set(group.loc[group["label"] == 0, "item_id"])
        assert len(negatives) == 9 and not negatives & touched[user]
    assert candidates["user_id"].nunique() <= 40
    early_items = set(before["item_id"])
    assert (candidates["cold_item"] == ~candidates["item_id"].isin(early_items)).all()


def test_the_first_synthetic_shop_still_works():
    old = make_shop(n_users=300, n_items=200, n_sessions=3_000, seed=2)
    task = click_task_from_shop(old, max_examples=3_000, history_len=2, seed=0)
    assert list(task.examples.columns) == list(EXAMPLE_COLUMNS)
    assert len(task.shown) == len(old.impressions)


@pytest.mark.parametrize("kwargs", [
    {"max_examples": 5}, {"history_len": -1}, {"history_len": 51}, {"valid_fraction": 0.0},
    {"test_fraction": 0.9}, {"seed": -1}, {"max_examples": 1.5},
])
def test_bad_parameters_raise(shop, kwargs):
    with pytest.raises(ParameterError):
        click_task_from_shop(shop, **kwargs)


def test_a_shop_of_another_kind_is_refused(shop):
    with pytest.raises(ParameterError, match="SyntheticShop"):
        click_task_from_shop(shop.to_interactions())
    assert isinstance(shop.to_interactions(), InteractionData)


def test_unknown_split_raises(task):
    with pytest.raises(ParameterError, match="split"):
        task.split("later")


# --- balanced click pairs -------------------------------------------------------------------


def test_training_pairs_are_clicks_with_never_shown_non_clicks(task):
    pairs = click_pairs(task, "train", 200, per_click=2, seed=0)
    clicks = pairs[pairs["label"] == 1]
    sampled = pairs[pairs["negative"] == "sampled"]
    assert len(clicks) == 200 and len(sampled) == 400
    assert set(pairs["negative"]) == {"", "sampled"}  # no shown non-clicks in training pairs
    assert (clicks["split"] == "train").all()
    seen = set(zip(task.shown["user_id"], task.shown["item_id"], strict=True))
    assert not any(pair in seen for pair in zip(sampled["user_id"], sampled["item_id"],
                                                strict=True))
    # a sampled non-click keeps its click's user, time and history: only the item differs
    keys = ["user_id", "timestamp", "history_text"]
    assert set(map(tuple, sampled[keys].to_numpy())) <= set(map(tuple, clicks[keys].to_numpy()))
    assert pairs["timestamp"].is_monotonic_increasing


def test_held_out_pairs_keep_the_shown_non_clicks(task):
    pairs = click_pairs(task, "test", 300, with_shown=True, seed=1)
    kinds = pairs["negative"].value_counts()
    original = pairs[pairs["negative"] != "sampled"]
    assert len(original) == 300 and kinds["shown"] > 0
    assert kinds["sampled"] == (pairs["label"] == 1).sum()
    assert (pairs["split"] == "test").all()


def test_click_pairs_are_seeded(task):
    first = click_pairs(task, "train", 100, seed=3)
    pd.testing.assert_frame_equal(first, click_pairs(task, "train", 100, seed=3))
    assert not first["item_id"].equals(click_pairs(task, "train", 100, seed=4)["item_id"])


def test_avoid_interacted_reproduces_the_chapters_construction(task):
    """The chapters drew clicks with sample_rows and added non-clicks among the items the user
    never clicked; avoid="interacted" gives exactly those rows."""
    clicks = task.split("train").query("label == 1")
    by_hand = add_never_shown(sample_rows(clicks, 150, 5), task.items, task.interactions,
                              per_click=1, seed=5)
    pd.testing.assert_frame_equal(click_pairs(task, "train", 150, avoid="interacted", seed=5),
                                  by_hand)


def test_sample_rows_is_seeded_and_keeps_the_order():
    frame = click_frame(50, 0)
    first, second = sample_rows(frame, 20, seed=3), sample_rows(frame, 20, seed=3)
    assert first.equals(second) and len(first) == 20
    assert first["timestamp"].is_monotonic_increasing
    assert len(sample_rows(frame, 500)) == 50


def test_add_never_shown_with_the_interactions_as_seen():
    frame = click_frame(40, 1)
    items = pd.DataFrame({"item_id": [f"i{i}" for i in range(100)],
                          "text": [f"text {i}" for i in range(100)]})
    interactions = frame.loc[frame["label"] == 1, ["user_id", "item_id"]]
    result = add_never_shown(frame, items, interactions, per_click=2, seed=0)
    sampled = result[result["negative"] == "sampled"]
    assert len(sampled) == 2 * frame["label"].sum()
    assert (sampled["label"] == 0).all()
    touched = set(zip(interactions["user_id"], interactions["item_id"], strict=True))
    assert not any(pair in touched
                   for pair in zip(sampled["user_id"], sampled["item_id"], strict=True))
    texts = items.set_index("item_id")["text"]
    assert (sampled["item_text"].to_numpy() == texts[sampled["item_id"]].to_numpy()).all()
    shown = result[result["negative"] != "sampled"].drop(columns="negative")
    pd.testing.assert_frame_equal(shown.reset_index(drop=True), frame)
    assert set(result.loc[result["label"] == 1, "negative"]) == {""}
    assert result["timestamp"].is_monotonic_increasing


@pytest.mark.parametrize("kwargs", [
    {"n": 0}, {"per_click": 0}, {"per_click": 101}, {"seed": -1}, {"avoid": "seen"},
    {"with_shown": "False"}, {"split": "later"},
])
def test_bad_pair_parameters_raise(task, kwargs):
    arguments = {"split": "train", "n": 50, **kwargs}
    with pytest.raises(ParameterError):
        click_pairs(task, **arguments)


@pytest.mark.parametrize("kwargs", [{"n_negatives": 0}, {"max_users": 0}])
def test_bad_ranking_parameters_raise(task, kwargs):
    with pytest.raises(ParameterError):
        ranking_candidates(task, **kwargs)


@pytest.fixture(scope="module")
def search_shop():
    return make_lab_shop(seed=0, **{**SMALL, "n_queries": 2_000})


def test_search_pairs_come_from_one_period_of_the_search_log(search_shop):
    shop = search_shop
    train = search_click_pairs(shop, "train", 40, seed=0)
    assert train["negative"].value_counts().to_dict() == {"": 40, "sampled": 40}
    assert train["label"].mean() == 0.5
    valid = search_click_pairs(shop, "valid", 20, shown_per_click=2, seed=1)
    clicks, shown = valid[valid["label"] == 1], valid[valid["negative"] == "shown"]
    # a skipped result belongs to a clicked query of the same period, shown and not clicked
    assert set(shown["query_id"]) <= set(clicks["query_id"])
    assert (shown["position"] >= 0).all()
    assert (valid.loc[valid["negative"] == "sampled", "position"] == -1).all()
    days = shop.queries.set_index("query_id")["day"]
    n_days = shop.config.n_days
    assert (days.reindex(train["query_id"]) < 0.7 * n_days).all()
    assert days.reindex(valid["query_id"]).between(0.7 * n_days, 0.8 * n_days).all()
    # the query is the left text, the product's text the right; relevance is the shop's truth
    queries = shop.queries.set_index("query_id")["text"]
    assert (train["history_text"].to_numpy() == queries.reindex(train["query_id"]).to_numpy()).all()
    item_rows = pd.Index(shop.items["item_id"]).get_indexer(valid["item_id"])
    query_rows = pd.Index(shop.queries["query_id"]).get_indexer(valid["query_id"])
    assert (valid["relevance"].to_numpy() == shop.query_relevance(query_rows, item_rows)).all()
    # never-shown products were never among this user's search results
    seen = shop.search_results.join(shop.queries.set_index("query_id")["user_id"], on="query_id")
    seen_pairs = set(zip(seen["user_id"], seen["item_id"], strict=True))
    sampled = valid[valid["negative"] == "sampled"]
    assert not any(pair in seen_pairs
                   for pair in zip(sampled["user_id"], sampled["item_id"], strict=True))
    pd.testing.assert_frame_equal(valid, search_click_pairs(shop, "valid", 20, 2, seed=1))


def test_bad_search_pair_parameters_raise(search_shop, task):
    shop = search_shop
    with pytest.raises(ParameterError, match="LabShop"):
        search_click_pairs(task, "train", 10)
    with pytest.raises(ParameterError, match="split"):
        search_click_pairs(shop, "later", 10)
    with pytest.raises(ParameterError, match="shown_per_click"):
        search_click_pairs(shop, "valid", 10, shown_per_click=-1)
