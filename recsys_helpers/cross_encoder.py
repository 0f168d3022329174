"""Click prediction and ranking with a cross-encoder: the corrected version of the article's code.

A *cross-encoder* reads the user and the item together, as one text pair
``[CLS] history text [SEP] item text [SEP]``, and its classification head outputs the chance
of a click. Around the generic loop of `recsys_helpers.train` this module adds what a click
task needs:

- `encode_pairs`: tokenise a `ClickTask` frame's (history_text, item_text) pairs once;
- `fine_tune_click_model` and `ClickModel`: fine-tune a classifier and score any frame of pairs;
- `auc_by_negative`: the AUC against each kind of non-click (shown or sampled) apart;
- `choose_threshold` and `classification_table`: a yes/no decision with a threshold picked on
  validation data, not the argmax of two logits (which silently assumes a threshold of 0.5);
- `recommender_pair_scores`, `zero_shot_pair_scores`: the same pairs scored by the baselines
  (ID models, content profiles, an un-tuned sentence encoder), so every model is compared on
  identical examples;
- `candidate_rankings`, `ranking_slices`, `ranking_table`: NDCG@k when each model ranks the
  candidates of `recsys_helpers.data.click_task.ranking_candidates`, overall and on the cold
  slices (new items, new users).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from .data import click_pairs
from .data.schema import require_columns
from .errors import ParameterError
from .metrics import per_user_ranking
from .params import check_choice, check_int
from .runtime import set_seed
from .train import Encoded, FitResult, TrainConfig, fit, predict_proba, pretokenize

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from .models.baselines import Recommender

PAIR_COLUMNS = ("history_text", "item_text")
CANDIDATE_COLUMNS = ("user_id", "item_id", "label", "cold_item", "cold_user")
SLICES = ("all", "cold items", "warm items", "cold users", "warm users")


def encode_pairs(tokenizer: PreTrainedTokenizerBase, frame: pd.DataFrame,
                 max_length: int = 96) -> Encoded:
    """Token ids of each (history_text, item_text) pair, truncated to `max_length`, unpadded.

    Truncation takes tokens from the longer text first, so a long history is cut before the
    item's own description.
    """
    require_columns(frame, PAIR_COLUMNS, "click examples")
    return pretokenize(tokenizer, frame["history_text"].tolist(), frame["item_text"].tolist(),
                       max_length=max_length)


def sample_rows(frame: pd.DataFrame, n: int, seed: int = 0) -> pd.DataFrame:
    """At most `n` rows drawn at random (seeded), in their original order, index reset.

    Kept for the chapters that import it from here; it lives in
    `recsys_helpers.data.click_pairs`."""
    return click_pairs.sample_rows(frame, n, seed)


def add_sampled_negatives(frame: pd.DataFrame, items: pd.DataFrame,
                          interactions: pd.DataFrame, per_positive: int = 1,
                          seed: int = 0) -> pd.DataFrame:
    """`frame` plus, for each click in it, `per_positive` catalogue items the user never
    interacted with, as non-clicks with the click's user, history and time.

    Shown-but-not-clicked items were picked by the shop for this user, so they mostly match
    the user's taste already: they teach fine distinctions, but little about taste itself.
    Sampled items (the kind of negative the ranking evaluation uses) fill that gap. A column
    ``negative`` says "shown", "sampled" (or "" for clicks); the result is sorted by time.
    The builder is `recsys_helpers.data.click_pairs.add_never_shown`, with the interactions as
    what the user has seen.
    """
    return click_pairs.add_never_shown(frame, items, interactions, per_positive, seed)


@dataclass
class ClickModel:
    """A fine-tuned (or any) sequence classifier with the tokenizer and length it reads with."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    max_length: int = 96
    fit_result: FitResult | None = None

    def predict(self, frame: pd.DataFrame, batch_size: int = 64, device: str = "auto",
                progress: bool = False) -> np.ndarray:
        """Click probability of each (history_text, item_text) row of `frame`, in order."""
        encoded = encode_pairs(self.tokenizer, frame, self.max_length)
        return predict_proba(self.model, encoded, batch_size=batch_size, device=device,
                             progress=progress)


def fine_tune_click_model(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    model: str | PreTrainedModel = "minilm",
    config: TrainConfig | None = None,
    max_length: int = 96,
    tokenizer: PreTrainedTokenizerBase | None = None,
    progress: bool = True,
) -> ClickModel:
    """Fine-tune a classifier on click pairs (columns history_text, item_text, label).

    `model` is a model name for `load_classifier` (e.g. "minilm"; its new head is initialised
    right after seeding with ``config.seed``), or an already built model, in which case
    `tokenizer` must be given too. The validation frame drives early stopping;
    the returned model holds the weights of the best validation score.
    """
    from .models.pretrained import load_classifier, load_tokenizer

    for frame, name in ((train, "training examples"), (valid, "validation examples")):
        require_columns(frame, (*PAIR_COLUMNS, "label"), name)
    config = TrainConfig() if config is None else config
    if isinstance(model, str):
        tokenizer = load_tokenizer(model) if tokenizer is None else tokenizer
        set_seed(config.seed)  # the new head's random start depends on the seed alone
        model = load_classifier(model, num_labels=2, device=config.device)
    elif tokenizer is None:
        raise ParameterError("pass the tokenizer that belongs to the model given")
    train_encoded = encode_pairs(tokenizer, train, max_length)
    valid_encoded = encode_pairs(tokenizer, valid, max_length)
    result = fit(model, train_encoded, train["label"].to_numpy(), valid_encoded,
                 valid["label"].to_numpy(), config, progress=progress)
    return ClickModel(model, tokenizer, max_length, result)


# --- the baselines on the same pairs ------------------------------------------------------------


def recommender_pair_scores(recommender: Recommender, frame: pd.DataFrame) -> np.ndarray:
    """The score a fitted `Recommender` gives each (user_id, item_id) row of `frame`.

    Items it cannot rank (the `UNRANKABLE` score of an ID model for a new item) get a score
    below every rankable item, equal for all of them: they tie at the bottom, as they would in
    its top-k lists. Items missing from its catalogue raise.
    """
    require_columns(frame, ("user_id", "item_id"), "pairs to score")
    columns = recommender.item_index.get_indexer(frame["item_id"])
    if (columns < 0).any():
        raise ParameterError("some items of the frame are missing from the model's catalogue")
    users, rows = np.unique(frame["user_id"].to_numpy(), return_inverse=True)
    scores = np.empty(len(frame), dtype=np.float64)
    for start in range(0, len(users), 1024):  # users in blocks: the full matrix can be large
        block = users[start:start + 1024]
        matrix = recommender.score(list(block))
        chosen = (rows >= start) & (rows < start + len(block))
        scores[chosen] = matrix[rows[chosen] - start, columns[chosen]]
    finite = np.isfinite(scores)
    floor = scores[finite].min() - 1.0 if finite.any() else 0.0
    return np.where(finite, scores, floor)


def zero_shot_pair_scores(encoder: SentenceTransformer, frame: pd.DataFrame,
                          batch_size: int = 128) -> np.ndarray:
    """Cosine similarity between the embedding of the history text and that of the item text.

    No training at all: the pretrained sentence encoder as it comes. Each distinct text is
    embedded once.
    """
    return zero_shot_pair_features(encoder, frame, batch_size).sum(axis=1).astype(np.float64)


def zero_shot_pair_features(encoder: SentenceTransformer, frame: pd.DataFrame,
                            batch_size: int = 128) -> np.ndarray:
    """Element-wise product of the normalised history and item embeddings, (n, dim).

    Its row sums are the zero-shot cosines; a linear model on it learns a weighted cosine, i.e.
    which dimensions of similarity matter for clicks (a "linear probe" of the encoder).
    """
    from .models.pretrained import encode_texts

    require_columns(frame, PAIR_COLUMNS, "pairs to score")
    texts = pd.unique(pd.concat([frame["history_text"], frame["item_text"]], ignore_index=True))
    vectors = encode_texts(encoder, texts.tolist(), batch_size=batch_size, normalize=True)
    row = pd.Series(np.arange(len(texts)), index=texts)
    history = vectors[row[frame["history_text"]].to_numpy()]
    item = vectors[row[frame["item_text"]].to_numpy()]
    return history * item


def pair_embeddings(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase,
                    frame: pd.DataFrame, max_length: int = 96, batch_size: int = 64,
                    device: str = "auto", pooling: str = "pooler",
                    precision: str = "fp32") -> np.ndarray:
    """What a sequence classifier's head reads for each pair of ``[CLS] history [SEP] item
    [SEP]``, as a float64 array (n, hidden): ``pooling="pooler"``, the pooled [CLS] vector of
    the stock head (the base model's ``pooler_output``, or the [CLS] hidden state for models
    without a pooler); ``"mean"``, the masked mean of the token states that
    `recsys_helpers.models.cross_encoder.PairClassifier` reads. ``precision="bf16"`` encodes
    under bfloat16 autocast (the pooling itself is in fp32)."""
    import torch

    from .models.cross_encoder import pool_states
    from .runtime import pick_device
    from .train import _loader, autocast_context

    check_choice("pooling", pooling, ("pooler", "mean"))
    encoded = encode_pairs(tokenizer, frame, max_length)
    if len(encoded) == 0:
        return np.zeros((0, getattr(model, "base_model", model).config.hidden_size))
    target = pick_device(device)
    base = getattr(model, "base_model", model)
    was_training = model.training
    model.to(target).eval()
    loader, order = _loader(encoded, None, batch_size, False, 0, True, tokenizer)  # longest first
    chunks = []
    with torch.inference_mode(), autocast_context(target, precision):
        for batch in loader:
            batch = {name: t.to(target) for name, t in batch.items()}
            out = base(**batch)
            if pooling == "mean":
                pooled = pool_states(out.last_hidden_state.float(), batch["attention_mask"])
            else:
                pooled = getattr(out, "pooler_output", None)
                pooled = out.last_hidden_state[:, 0] if pooled is None else pooled
            chunks.append(pooled.float().cpu().numpy())
    model.train(was_training)
    result = np.empty((len(encoded), chunks[0].shape[1]), dtype=np.float64)
    result[order] = np.concatenate(chunks)
    return result


def auc_by_negative(frame: pd.DataFrame, scores: Any) -> dict[str, float]:
    """AUC of `scores` on all rows of `frame`, then clicks against each kind of non-click alone.

    `frame` has a ``label`` column and a ``negative`` column naming each non-click's kind
    (as `add_sampled_negatives` writes it: "shown" for impressions that were not clicked,
    "sampled" for never-shown items). Returns ``{"all": .., "clicks vs shown": .., ...}``, one
    entry per kind present, in the order the kinds first appear.
    """
    from .metrics import auc

    require_columns(frame, ("label", "negative"), "scored examples")
    s = np.asarray(scores, dtype=float).ravel()
    if len(s) != len(frame):
        raise ParameterError(f"{len(s)} scores for {len(frame)} examples")
    label = frame["label"].to_numpy() == 1
    kinds = frame["negative"].to_numpy()
    result = {"all": float(auc(label.astype(int), s))}
    for kind in pd.unique(kinds[~label]):
        keep = label | (kinds == kind)
        result[f"clicks vs {kind}"] = float(auc(label[keep].astype(int), s[keep]))
    return result


# --- decisions: a threshold chosen on validation -------------------------------------------------


def choose_threshold(y_true: Any, y_prob: Any, criterion: str = "f1") -> float:
    """The probability threshold that maximises the F1 score of the click class on (y, p).

    Pick it on validation data and apply it unchanged to the test data. With few clicks the
    argmax of two logits (threshold 0.5) may flag almost nothing as a click.
    """
    check_choice("criterion", criterion, ("f1",))
    y = np.asarray(y_true).ravel()
    p = np.asarray(y_prob, dtype=float).ravel()
    if len(y) != len(p) or len(y) == 0:
        raise ParameterError("y_true and y_prob must be non-empty and of the same length")
    if set(np.unique(y).tolist()) != {0, 1}:
        raise ParameterError("y_true must hold both clicks (1) and non-clicks (0)")
    precision, recall, thresholds = skm.precision_recall_curve(y, p)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    best = int(np.argmax(f1[:-1]))  # the last point (recall 0) has no threshold
    return float(thresholds[best])


def classification_table(y_true: Any, y_prob: Any, threshold: float = 0.5) -> pd.DataFrame:
    """scikit-learn's classification report as a table: flat 0/1 labels against the flat
    decisions ``y_prob >= threshold``, one row per class plus accuracy and the averages."""
    y = np.asarray(y_true).ravel().astype(int)
    decision = (np.asarray(y_prob, dtype=float).ravel() >= threshold).astype(int)
    report = skm.classification_report(y, decision, labels=[0, 1],
                                       target_names=["no click", "click"],
                                       output_dict=True, zero_division=0)
    accuracy = report.pop("accuracy")
    table = pd.DataFrame(report).T
    table.loc["accuracy"] = [np.nan, np.nan, accuracy, table.loc["macro avg", "support"]]
    table["support"] = table["support"].astype(int)
    return table


# --- ranking the sampled candidates -------------------------------------------------------------


def candidate_rankings(candidates: pd.DataFrame, scores: Any) -> dict[Any, list[Any]]:
    """Each user's candidate items sorted by score, best first.

    Ties keep the candidates' order, which `ranking_candidates` shuffles: a model that cannot
    tell items apart ranks them at random rather than, say, by item id.
    """
    require_columns(candidates, ("user_id", "item_id"), "ranking candidates")
    s = np.asarray(scores, dtype=float).ravel()
    if len(s) != len(candidates):
        raise ParameterError(f"{len(s)} scores for {len(candidates)} candidates")
    if np.isnan(s).any():
        raise ParameterError("scores contain NaN")
    frame = pd.DataFrame({"user": candidates["user_id"].to_numpy(),
                          "item": candidates["item_id"].to_numpy(), "score": -s,
                          "position": np.arange(len(s))})
    frame = frame.sort_values(["user", "score", "position"], kind="stable")
    return {user: group.tolist() for user, group in frame.groupby("user", sort=False)["item"]}


def ranking_slices(candidates: pd.DataFrame, scores: Any, k: int = 10,
                   slices: Sequence[str] = SLICES) -> dict[str, pd.DataFrame]:
    """Per-user ranking metrics @k (`metrics.per_user_ranking`) on each slice of users.

    - "all": every user; the relevant items are their positives.
    - "cold items" / "warm items": users with at least one positive that is new (no positive
      before the test period) / known; the list is re-ranked without the user's positives of
      the other kind, so they neither count nor take a place. The question is then only "does
      the model put this kind of item above the sampled negatives?".
    - "cold users" / "warm users": users with / without any positive before the test period.
    """
    require_columns(candidates, CANDIDATE_COLUMNS, "ranking candidates")
    check_int("k", k, low=1)
    for name in slices:
        check_choice("slice", name, SLICES)
    s = np.asarray(scores, dtype=float).ravel()
    if len(s) != len(candidates):
        raise ParameterError(f"{len(s)} scores for {len(candidates)} candidates")
    label = candidates["label"].to_numpy() == 1
    cold_item = candidates["cold_item"].to_numpy().astype(bool)
    cold_user = candidates["cold_user"].to_numpy().astype(bool)
    result = {}
    for name in slices:
        if name in ("cold items", "warm items"):
            wanted = cold_item if name == "cold items" else ~cold_item
            keep = ~label | wanted  # drop the positives of the other kind
            users = set(candidates.loc[label & wanted, "user_id"])
            keep &= candidates["user_id"].isin(users).to_numpy()
        elif name in ("cold users", "warm users"):
            keep = cold_user if name == "cold users" else ~cold_user
        else:
            keep = np.ones(len(candidates), dtype=bool)
        part = candidates[keep]
        ranked = candidate_rankings(part, s[keep])
        relevant = part[part["label"] == 1].groupby("user_id")["item_id"].agg(set).to_dict()
        result[name] = per_user_ranking(ranked, relevant, k)
    return result


def ranking_table(candidates: pd.DataFrame, model_scores: Mapping[str, Any], k: int = 10,
                  slices: Sequence[str] = ("all", "cold items", "cold users"),
                  metric: str = "ndcg", min_users: int = 1) -> pd.DataFrame:
    """Mean `metric`@k per model (rows) and slice (columns); a slice with fewer than `min_users`
    users is NaN rather than a mean of a handful. The users behind each column are in the
    table's ``attrs["users"]``."""
    check_choice("metric", metric, ("precision", "recall", "ndcg", "ap", "hit"))
    check_int("min_users", min_users, low=1)
    if not model_scores:
        raise ParameterError("model_scores is empty: pass {model name: scores}")
    rows, users = {}, {}
    for model, scores in model_scores.items():
        per_slice = ranking_slices(candidates, scores, k, slices)
        rows[model] = {name: (table[metric].mean() if len(table) >= min_users else np.nan)
                       for name, table in per_slice.items()}
        users = {name: len(table) for name, table in per_slice.items()}
    table = pd.DataFrame(rows).T[list(slices)]
    table.attrs["users"] = users
    return table
