"""The bi-encoder on a tiny shop where behaviour links topics that the words do not.

Users who buy camping gear go on to buy coffee gear, gardeners buy baby products, and so on:
pairs of topics that no text relates. Zero-shot MiniLM ranks an item by how much it resembles
the history, so it places the next topic's items low; in-batch-negative training on the click
pairs has to learn the link. The bundled MiniLM runs on short texts, so the module takes
seconds, not minutes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from recsys_helpers.errors import ParameterError
from recsys_helpers.models.bi_encoder import (
    BiEncoderRecommender,
    history_pairs,
    in_batch_negatives_loss,
    no_duplicate_batches,
    recent_history_texts,
)
from recsys_helpers.models.pretrained import encode_texts, load_encoder

pytestmark = pytest.mark.unit

TOPICS = {
    "camping": ["tent", "sleeping bag", "camping stove", "hiking backpack", "trekking poles"],
    "coffee": ["espresso machine", "coffee grinder", "french press", "moka pot", "milk frother"],
    "garden": ["lawn mower", "garden hose", "pruning shears", "flower pot", "watering can"],
    "baby": ["baby stroller", "cot", "nappy bag", "teething ring", "baby monitor"],
    "music": ["acoustic guitar", "drum kit", "violin", "piano keyboard", "ukulele"],
    "pets": ["dog leash", "cat scratching post", "pet bed", "bird cage", "aquarium filter"],
    "kitchen": ["chef knife", "cutting board", "frying pan", "stock pot", "rolling pin"],
    "cycling": ["road bike", "bike helmet", "bicycle pump", "cycling gloves", "bike lock"],
}
NEXT_TOPIC = {"camping": "coffee", "garden": "baby", "music": "pets", "kitchen": "cycling"}
WORDS = ["red", "blue", "small", "large", "classic", "modern", "light", "sturdy"]
COLD_WORDS = ["green", "compact"]  # adjectives of items nobody interacts with


def _shop(seed: int = 0):
    """Items, training clicks (three items of a topic, then two of its partner topic), and
    probe users whose training history is one topic and whose next item is the partner's."""
    rng = np.random.default_rng(seed)
    rows = [(topic, noun, word) for topic, nouns in TOPICS.items() for noun in nouns
            for word in WORDS + COLD_WORDS]
    items = pd.DataFrame({
        "item_id": [f"i{n:03d}" for n in range(len(rows))],
        "title": [f"{word} {noun}" for _, noun, word in rows],
        "category": [topic for topic, _, _ in rows],
    })
    items["text"] = items["title"] + "."
    warm = ~items["title"].str.split().str[0].isin(COLD_WORDS)
    by_topic = {t: items.loc[warm & (items["category"] == t), "item_id"].to_numpy()
                for t in TOPICS}
    cold_by_topic = {t: items.loc[~warm & (items["category"] == t), "item_id"].to_numpy()
                     for t in TOPICS}
    events, probes = [], {}
    for first, second in NEXT_TOPIC.items():
        for u in range(24):
            user = f"{first}-{u}"
            chosen = [*rng.choice(by_topic[first], 3, replace=False),
                      *rng.choice(by_topic[second], 2, replace=False)]
            events += [(user, item) for item in chosen]
        for u in range(4):
            user = f"probe-{first}-{u}"
            events += [(user, item) for item in rng.choice(by_topic[first], 3, replace=False)]
            probes[user] = set(cold_by_topic[second])
    train = pd.DataFrame(events, columns=["user_id", "item_id"]).assign(
        rating=1.0, timestamp=np.arange(len(events), dtype=np.int64))
    return items, train, probes


@pytest.fixture(scope="module")
def shop():
    return _shop()


@pytest.fixture(scope="module")
def encoder():
    return load_encoder("minilm", device="cpu")


def _trained(encoder, shop, seed=0, **settings):
    items, train, _ = shop
    options = {"epochs": 1, "batch_size": 16, "lr": 1e-4, "max_length": 32, "history_len": 3,
               "seed": seed, "device": "cpu"}
    return BiEncoderRecommender(encoder, **{**options, **settings}).fit(train, items)


@pytest.fixture(scope="module")
def zero_shot(encoder, shop):
    return _trained(encoder, shop, epochs=0)


@pytest.fixture(scope="module")
def trained(encoder, shop):
    return _trained(encoder, shop)


@pytest.fixture(scope="module")
def short_run(encoder, shop):
    """A few steps only: enough for the checks that do not need a trained model."""
    return _trained(encoder, shop, max_steps=4)


def _mean_rank(model, items, probes):
    """Mean rank (1 = best) of each probe user's partner-topic cold items in the catalogue."""
    users = list(probes)
    scores = model.score(users)
    order = np.argsort(-scores, axis=1, kind="stable")
    ranks = np.empty_like(order)
    ranks[np.arange(len(users))[:, None], order] = np.arange(1, scores.shape[1] + 1)
    columns = model.item_columns
    return float(np.mean([ranks[r, columns(sorted(probes[u]))].mean()
                          for r, u in enumerate(users)]))


# --- user texts and batches --------------------------------------------------------------------


def test_history_pairs_use_only_the_past_most_recent_first():
    train = pd.DataFrame({"user_id": ["u", "u", "u", "u", "v"],
                          "item_id": ["c", "a", "b", "a", "a"],
                          "timestamp": [3, 1, 2, 4, 1]})
    titles = {"a": "Apple", "b": "Bread", "c": "Cheese"}
    pairs = history_pairs(train, titles, history_len=2)
    # u: a(1) b(2) c(3) a(4, a repeat: no pair); v has one click, so no history
    assert pairs[["item_id", "history"]].values.tolist() == [
        ["b", "Apple"], ["c", "Bread; Apple"]]
    assert recent_history_texts(train, titles, history_len=2).to_dict() == {
        "u": "Apple; Cheese", "v": "Apple"}


def test_batches_never_repeat_an_item_and_cover_examples_once():
    items = ["a", "a", "a", "b", "b", "c", "d", "e", "f", "g", "h", "i"]
    histories = [f"h{i}" for i in range(len(items))]
    batches = list(no_duplicate_batches((items, histories), 4, np.random.default_rng(0)))
    assert all(len(b) == 4 and len({items[i] for i in b}) == 4 for b in batches)
    flat = np.concatenate(batches)
    assert len(flat) == len(set(flat.tolist()))  # no example twice in one pass


def test_in_batch_loss_is_cross_entropy_over_scaled_cosines():
    users = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    items = torch.tensor([[3.0, 0.0], [1.0, 1.0]])
    cosines = np.array([[1.0, 2 ** -0.5], [0.0, 2 ** -0.5]])
    logits = 20 * cosines
    expected = np.mean([np.log(np.exp(row).sum()) - row[i] for i, row in enumerate(logits)])
    assert in_batch_negatives_loss(users, items, 20.0).item() == pytest.approx(expected, 1e-5)


# --- the model ---------------------------------------------------------------------------------


def test_zero_shot_vectors_are_the_pretrained_sentence_embeddings(zero_shot, encoder, shop):
    items = shop[0]
    assert zero_shot.steps == 0 and np.isnan(zero_shot.train_loss_start)
    expected = encode_texts(encoder, items["text"].tolist())
    np.testing.assert_allclose(zero_shot.item_vectors, expected, atol=1e-5)


def test_bf16_encoding_is_close_to_fp32_and_keeps_the_order(zero_shot, encoder, shop):
    items, train, probes = shop
    bf16 = _trained(encoder, shop, epochs=0, precision="bf16")
    assert bf16.item_vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(bf16.item_vectors, axis=1), 1.0, atol=1e-5)
    cosines = (bf16.item_vectors * zero_shot.item_vectors).sum(axis=1)
    assert cosines.min() > 0.995
    users = list(probes)
    fp32_top = np.argsort(-zero_shot.score(users), axis=1)[:, :5]
    bf16_top = np.argsort(-bf16.score(users), axis=1)[:, :5]
    kept = [len(set(a) & set(b)) / 5 for a, b in zip(fp32_top, bf16_top, strict=True)]
    assert np.mean(kept) > 0.8


def test_training_loss_falls_by_at_least_a_third(trained):
    assert trained.steps == len(trained.loss_history) > 10
    assert trained.train_loss_end <= trained.train_loss_start * 2 / 3


def test_training_ranks_the_partner_topic_higher(zero_shot, trained, shop):
    items, _, probes = shop
    before, after = _mean_rank(zero_shot, items, probes), _mean_rank(trained, items, probes)
    assert after < 0.7 * before


def test_cold_items_and_text_users_get_finite_scores(short_run, shop):
    items, train, _ = shop
    cold = items["title"].str.split().str[0].isin(COLD_WORDS).to_numpy()
    assert (short_run.item_counts[cold] == 0).all()  # nobody interacted with these
    scores = short_run.score(["camping-0", "nobody"])
    assert np.isfinite(scores[0]).all()  # every item has a text, so every item has a score
    np.testing.assert_array_equal(scores[1], short_run.popularity_scores(1)[0])  # unknown user
    queries = short_run.score_texts(["a tent for the mountains"])
    assert queries.shape == (1, len(items)) and np.isfinite(queries).all()


def test_user_texts_give_new_users_a_profile(encoder, shop):
    items, train, _ = shop
    model = BiEncoderRecommender(encoder, epochs=0, device="cpu", max_length=32,
                                 user_texts={"newcomer": "I love strong espresso"})
    model.fit(train, items)
    top = model.recommend(["newcomer"], k=5)["newcomer"]
    assert set(items.set_index("item_id").loc[top, "category"]) == {"coffee"}


def test_training_is_deterministic_per_seed(encoder, shop, short_run):
    again = _trained(encoder, shop, max_steps=4)
    other = _trained(encoder, shop, seed=1, max_steps=4)
    assert short_run.loss_history == again.loss_history
    np.testing.assert_array_equal(short_run.item_vectors, again.item_vectors)
    assert short_run.loss_history != other.loss_history


def test_the_callers_encoder_is_not_changed(encoder, short_run):
    fresh = load_encoder("minilm", device="cpu")
    for (name, p), (_, q) in zip(encoder.named_parameters(), fresh.named_parameters(),
                                 strict=True):
        assert torch.equal(p, q), name


@pytest.mark.parametrize("settings", [
    {"history_len": 0}, {"max_length": 4}, {"batch_size": 1}, {"epochs": -1},
    {"max_steps": 0}, {"lr": -1.0}, {"lr": 0.0}, {"warmup_ratio": 1.0}, {"scale": 0.0},
    {"seed": -1}, {"device": "tpu"}, {"precision": "fp16"}, {"model": ""}, {"model": 3},
    {"user_texts": ["a", "b"]}, {"epochs": 1.5},
])
def test_bad_parameters_raise(settings):
    with pytest.raises(ParameterError):
        BiEncoderRecommender(**settings)
