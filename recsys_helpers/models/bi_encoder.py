"""A bi-encoder (two-tower) recommender: one pretrained sentence encoder for users and items,
fine-tuned on clicks with in-batch negatives.

**The two towers.** A user is written as text, the titles of their last ``history_len``
interacted items, most recent first ("Trailmark Pro Grey Headlamp; Crema & Co Beige French
Press"), or any text that describes them (a self-description, a search query). An item is its
own text. Both go through the *same* encoder (MiniLM by default: shared weights, sometimes
called a Siamese bi-encoder), and the score of a (user, item) pair is the dot product of their
normalised vectors, a cosine similarity. Because the towers never look at each other, the whole
catalogue is encoded once after training, every user once per request, and ranking is one matrix
product (in production: a nearest-neighbour index). A cross-encoder
(`recsys_helpers.models.cross_encoder`) reads each pair together and is more accurate per pair,
but must run once per pair; that is why retrieval uses two towers and re-ranking a cross-encoder.

**Training with in-batch negatives.** Each training example is a pair (the history *before* a
click, the clicked item), taken from the training interactions in time order, so a history never
contains anything that happened after its click. A batch of B pairs gives B user vectors u_i
and B item vectors v_j; every other item in the batch serves as a negative for user i, and the
loss is the softmax cross-entropy of picking the right item:

    L = -(1/B) sum_i log( exp(s * cos(u_i, v_i)) / sum_j exp(s * cos(u_i, v_j)) )

(the multiple-negatives ranking loss of sentence-transformers; s is a scale, about 20, since
cosines live in [-1, 1] and a softmax over such small numbers would be nearly flat). Negatives
cost nothing extra: they are the other rows' positives. Two rows with the same item, or the same
history, would make one row's right answer another row's "negative", so a batch never holds
either twice (`no_duplicate_batches`).

The loop is written out (`BiEncoderRecommender._train`): tokenise once, pad each batch to its
own longest text, AdamW with linear warmup and decay, gradient clipping, optional bfloat16
autocast. ``epochs=0`` skips training and gives the zero-shot bi-encoder, the pretrained model
used as it is: the baseline that fine-tuning has to beat.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..data.schema import require_columns
from ..errors import ParameterError
from ..params import check_choice, check_float, check_int
from ..runtime import DEVICE_CHOICES, pick_device, set_seed
from ..train import PRECISIONS, Encoded, autocast_context, parameter_groups, pretokenize
from .baselines import Recommender
from .pretrained import load_encoder

if TYPE_CHECKING:
    import torch
    from sentence_transformers import SentenceTransformer

HISTORY_SEPARATOR = "; "
LOSS_WINDOW = 20  # steps averaged for train_loss_start / train_loss_end
PAIR_COLUMNS = ("user_id", "item_id", "timestamp", "history")


# --- user texts from histories --------------------------------------------------------------


def history_pairs(train: pd.DataFrame, titles: Mapping[str, str] | pd.Series,
                  history_len: int = 5) -> pd.DataFrame:
    """One training pair per click that has a history: (the history before it, the item).

    Columns user_id, item_id, timestamp, history (the titles of the user's last `history_len`
    distinct earlier items, most recent first). A user's first click has no history and gives
    no pair; a repeat of an item already in the user's past gives none either (the recommender
    never recommends what someone already has, so it need not learn to).
    """
    return _walk_histories(train, titles, history_len)[0]


def recent_history_texts(train: pd.DataFrame, titles: Mapping[str, str] | pd.Series,
                         history_len: int = 5) -> pd.Series:
    """user_id -> the titles of their last `history_len` distinct items, most recent first:
    the user text the bi-encoder reads when it recommends after training."""
    return _walk_histories(train, titles, history_len)[1]


def _walk_histories(train: pd.DataFrame, titles: Mapping[str, str] | pd.Series,
                    history_len: int) -> tuple[pd.DataFrame, pd.Series]:
    """One pass over each user's interactions in time order: the pairs, and the final texts."""
    require_columns(train, ("user_id", "item_id", "timestamp"), "training interactions")
    check_int("history_len", history_len, low=1)
    titles = pd.Series(titles) if not isinstance(titles, pd.Series) else titles
    ordered = train.sort_values(["user_id", "timestamp"], kind="stable")
    pairs: list[tuple[str, str, int, str]] = []
    finals: dict[str, str] = {}
    users = ordered["user_id"].to_numpy()
    items = ordered["item_id"].to_numpy()
    stamps = ordered["timestamp"].to_numpy()
    title_of = titles.to_dict()
    recent: list[str] = []  # the current user's distinct items, most recent first
    for position in range(len(ordered)):
        user, item = users[position], items[position]
        if position == 0 or user != users[position - 1]:
            recent = []
        if recent and item not in recent:  # `recent` holds every earlier item: no repeats
            history = HISTORY_SEPARATOR.join(title_of[i] for i in recent[:history_len])
            pairs.append((user, item, int(stamps[position]), history))
        if item in recent:
            recent.remove(item)
        recent.insert(0, item)
        finals[user] = HISTORY_SEPARATOR.join(title_of[i] for i in recent[:history_len])
    return (pd.DataFrame(pairs, columns=list(PAIR_COLUMNS)),
            pd.Series(finals, name="history", dtype=object))


# --- the loss and the batches ------------------------------------------------------------------


def in_batch_negatives_loss(user_vectors: torch.Tensor, item_vectors: torch.Tensor,
                            scale: float = 20.0) -> torch.Tensor:
    """Multiple-negatives ranking loss: row i's positive is item i, the other items its negatives.

    Softmax cross-entropy over the scaled cosine similarities of every user with every item of
    the batch (a B x B matrix whose diagonal holds the positives).
    """
    import torch
    import torch.nn.functional as F

    if user_vectors.shape != item_vectors.shape or user_vectors.ndim != 2:
        raise ParameterError(
            f"user and item vectors must both be (batch, dim), got {tuple(user_vectors.shape)} "
            f"and {tuple(item_vectors.shape)}")
    similarity = F.normalize(user_vectors, dim=-1) @ F.normalize(item_vectors, dim=-1).T
    targets = torch.arange(len(similarity), device=similarity.device)
    return F.cross_entropy(scale * similarity, targets)


def no_duplicate_batches(keys: Sequence[Sequence[Any]], batch_size: int,
                         rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Random batches of example indices (one pass over the examples) in which no key repeats.

    `keys[k]` lists each example's value of key k (e.g. its item id and its history text). The
    examples are shuffled and dealt into batches in that order; an example whose key is already
    in the current batch waits and goes first into the next one. A last batch that cannot be
    filled is dropped (unless it is the only one), so every step has the same number of
    negatives and the loss is comparable from step to step. Batches are drawn lazily: a run
    that stops after a few steps pays only for those.
    """
    check_int("batch_size", batch_size, low=2)
    columns = [np.asarray(column, dtype=object) for column in keys]
    if not columns or len({len(c) for c in columns}) != 1:
        raise ParameterError("keys must be one or more sequences of the same length")
    upcoming = iter(rng.permutation(len(columns[0])).tolist())
    waiting: list[int] = []
    produced = 0
    while True:
        batch: list[int] = []
        used: list[set] = [set() for _ in columns]
        still_waiting: list[int] = []
        for index in waiting:  # examples deferred from earlier batches go first
            if len(batch) < batch_size and _fits(index, columns, used):
                batch.append(index)
            else:
                still_waiting.append(index)
        while len(batch) < batch_size:
            index = next(upcoming, None)
            if index is None:
                break
            if _fits(index, columns, used):
                batch.append(index)
            else:
                still_waiting.append(index)
        waiting = still_waiting
        if len(batch) < batch_size:
            if batch and not produced:
                yield np.asarray(batch, dtype=np.int64)
            return
        produced += 1
        yield np.asarray(batch, dtype=np.int64)


def _fits(index: int, columns: list[np.ndarray], used: list[set]) -> bool:
    """Whether example `index` has no key already in the batch; if so, its keys are taken."""
    if any(column[index] in seen for column, seen in zip(columns, used, strict=True)):
        return False
    for column, seen in zip(columns, used, strict=True):
        seen.add(column[index])
    return True


# --- the recommender -------------------------------------------------------------------------


class BiEncoderRecommender(Recommender):
    """Two-tower recommender on a sentence encoder, fine-tuned with in-batch negatives.

    `model` is a name for `load_encoder` ("minilm": the bundled all-MiniLM-L6-v2) or a loaded
    SentenceTransformer, which is copied, so the caller's model is never changed. Training runs
    `epochs` passes over the training pairs, stopped after `max_steps` steps if that comes first
    (None: no cap); ``epochs=0`` is the zero-shot bi-encoder. `user_texts` (user_id -> text, e.g.
    self-descriptions) gives a user text to users without a training history, such as new users;
    users with neither get popularity scores, as in the other baselines. ``progress=True``
    shows a progress bar over the training steps. ``precision="bf16"`` runs the training steps
    and the encoding of items, users and queries under bfloat16 autocast: on a CPU with bfloat16
    matrix instructions it encodes about 2 to 3 times faster (1.7-1.9x on the AMD reference
    machine, 2.9x on the Xeon), and 99.8% of the lab shop's items keep their top-10 neighbours
    (`benchmarks/catalogue_encoding.py`).

    After `fit`: `loss_history` (the loss of every step), `train_loss_start` and
    `train_loss_end` (means of the first and last `LOSS_WINDOW` steps, fewer in short runs),
    `train_seconds`, `n_pairs` (training pairs available) and `steps`.
    """

    name = "bi-encoder"

    def __init__(
        self, model: str | SentenceTransformer = "minilm", history_len: int = 5,
        max_length: int = 64, batch_size: int = 32, epochs: int = 1,
        max_steps: int | None = 150, lr: float = 5e-5, warmup_ratio: float = 0.1,
        scale: float = 20.0, weight_decay: float = 0.01, max_grad_norm: float | None = 1.0,
        seed: int = 0, device: str = "auto", precision: str = "fp32",
        user_texts: Mapping[str, str] | pd.Series | None = None, encode_batch_size: int = 128,
        progress: bool = False,
    ) -> None:
        if isinstance(model, str):
            if not model.strip():
                raise ParameterError("parameter 'model' must be a model name or a "
                                     "SentenceTransformer, got an empty string")
        elif not hasattr(model, "tokenizer") or not callable(model):
            raise ParameterError("parameter 'model' must be a model name or a "
                                 f"SentenceTransformer, got {type(model).__name__}")
        self.model = model
        self.history_len = check_int("history_len", history_len, low=1, high=100)
        self.max_length = check_int("max_length", max_length, low=8, high=512)
        self.batch_size = check_int("batch_size", batch_size, low=2)
        self.epochs = check_int("epochs", epochs, low=0)
        self.max_steps = None if max_steps is None else check_int("max_steps", max_steps, low=1)
        self.lr = check_float("lr", lr, low=0.0, high=1.0)
        if self.lr == 0 and self.epochs > 0:
            raise ParameterError("parameter 'lr' must be > 0 (use epochs=0 for no training)")
        self.warmup_ratio = check_float("warmup_ratio", warmup_ratio, low=0.0, high=0.99)
        self.scale = check_float("scale", scale, low=1e-3)
        self.weight_decay = check_float("weight_decay", weight_decay, low=0.0)
        self.max_grad_norm = (None if max_grad_norm is None
                              else check_float("max_grad_norm", max_grad_norm, low=1e-12))
        self.seed = check_int("seed", seed, low=0)
        self.device = check_choice("device", device, DEVICE_CHOICES)
        self.precision = check_choice("precision", precision, PRECISIONS)
        self.encode_batch_size = check_int("encode_batch_size", encode_batch_size, low=1)
        if user_texts is not None and not isinstance(user_texts, Mapping | pd.Series):
            raise ParameterError("parameter 'user_texts' must map user ids to texts, got "
                                 f"{type(user_texts).__name__}")
        self.user_texts = user_texts
        self.progress = bool(progress)

    def fit(self, train: pd.DataFrame, items: pd.DataFrame) -> BiEncoderRecommender:
        self._train_frame, self._items_frame = train, items
        super().fit(train, items)
        return self

    def _fit(self) -> None:
        items = self._items_frame
        titles = pd.Series(items["title"].fillna("").astype(str).to_numpy(), index=self.item_ids)
        pairs, histories = _walk_histories(self._train_frame, titles, self.history_len)
        del self._train_frame, self._items_frame
        extra = {} if self.user_texts is None else dict(self.user_texts)
        self.user_text = {**{str(u): str(t) for u, t in extra.items()}, **histories.to_dict()}
        self.n_pairs = len(pairs)
        self.target = pick_device(self.device)
        set_seed(self.seed)
        if isinstance(self.model, str):
            self.encoder = load_encoder(self.model, device=self.target)
        else:
            self.encoder = copy.deepcopy(self.model).to(self.target)
        self.tokenizer = self.encoder.tokenizer
        item_tokens = pretokenize(self.tokenizer, items["text"].fillna("").astype(str).tolist(),
                                  max_length=self.max_length)
        self.loss_history: list[float] = []
        started = time.perf_counter()
        if self.epochs > 0:
            self._train(pairs, item_tokens)
        self.train_seconds = time.perf_counter() - started
        self.steps = len(self.loss_history)
        window = min(LOSS_WINDOW, max(1, self.steps // 4))
        self.train_loss_start = (float(np.mean(self.loss_history[:window])) if self.steps
                                 else math.nan)
        self.train_loss_end = (float(np.mean(self.loss_history[-window:])) if self.steps
                               else math.nan)
        self.encoder.eval()
        self.item_vectors = self._encode_tokens(item_tokens)  # the catalogue, once
        self._user_cache: dict[str, np.ndarray] = {}

    def _train(self, pairs: pd.DataFrame, item_tokens: Encoded) -> None:
        """The fine-tuning loop: batches without duplicates, AdamW, warmup, in-batch negatives."""
        import torch
        from transformers import get_linear_schedule_with_warmup

        if len(pairs) < 2:
            raise ParameterError(
                f"only {len(pairs)} training pair(s) (a click with an earlier click of the same "
                "user): too few to fine-tune; use epochs=0 for the zero-shot model")
        rng = np.random.default_rng(self.seed)
        plan = self._plan_batches(pairs, rng)
        # Tokenise the histories the plan uses, once; pad later, per batch.
        used = np.unique(np.concatenate(plan))
        history_tokens = dict(zip(used.tolist(), pretokenize(
            self.tokenizer, pairs["history"].to_numpy()[used].tolist(),
            max_length=self.max_length), strict=True))
        item_rows = self.item_index.get_indexer(pairs["item_id"])

        model = self.encoder
        model.train()
        optimizer = torch.optim.AdamW(parameter_groups(model, self.weight_decay), lr=self.lr)
        scheduler = get_linear_schedule_with_warmup(
            optimizer, round(self.warmup_ratio * len(plan)), len(plan))
        for batch in tqdm(plan, desc="fine-tuning", unit="step", disable=not self.progress):
            users = self._pad([history_tokens[i] for i in batch.tolist()])
            items = self._pad([item_tokens[i] for i in item_rows[batch].tolist()])
            with autocast_context(self.target, self.precision):
                user_vectors = model(users)["sentence_embedding"]
                item_vectors = model(items)["sentence_embedding"]
            loss = in_batch_negatives_loss(user_vectors.float(), item_vectors.float(), self.scale)
            loss.backward()
            if self.max_grad_norm is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), self.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            self.loss_history.append(loss.item())

    def _plan_batches(self, pairs: pd.DataFrame, rng: np.random.Generator) -> list[np.ndarray]:
        """Every step's batch, epoch after epoch, up to `max_steps`."""
        keys = (pairs["item_id"].to_numpy(), pairs["history"].to_numpy())
        plan: list[np.ndarray] = []
        for _ in range(self.epochs):
            for batch in no_duplicate_batches(keys, self.batch_size, rng):
                if self.max_steps is not None and len(plan) >= self.max_steps:
                    return plan
                plan.append(batch)
        return plan

    def _pad(self, examples: list[dict]) -> dict[str, torch.Tensor]:
        batch = self.tokenizer.pad(examples, return_tensors="pt")
        return {name: tensor.to(self.target) for name, tensor in batch.items()}

    def _encode_tokens(self, encoded: Sequence[dict]) -> np.ndarray:
        """Normalised float32 vectors (computed in `precision`), batched longest first to cut
        padding."""
        import torch
        import torch.nn.functional as F

        lengths = np.fromiter((len(e["input_ids"]) for e in encoded), dtype=np.int64,
                              count=len(encoded))
        order = np.argsort(-lengths, kind="stable")
        chunks = []
        with torch.inference_mode(), autocast_context(self.target, self.precision):
            for start in range(0, len(order), self.encode_batch_size):
                batch = self._pad([encoded[i] for i in order[start:start + self.encode_batch_size]])
                vectors = self.encoder(batch)["sentence_embedding"].float()
                chunks.append(F.normalize(vectors, dim=-1).cpu().numpy())
        dimension = self.item_vectors.shape[1] if hasattr(self, "item_vectors") else 0
        vectors = np.concatenate(chunks) if chunks else np.zeros((0, dimension), np.float32)
        result = np.empty_like(vectors)
        result[order] = vectors
        return result

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised vectors of any texts (users, queries, items) from the fitted encoder."""
        if isinstance(texts, str):
            raise ParameterError("texts must be a list of strings, not a single string")
        return self._encode_tokens(pretokenize(self.tokenizer, list(texts),
                                               max_length=self.max_length))

    def score_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Scores (len(texts), n_items) of free texts used as users, e.g. search queries."""
        return self.encode(texts) @ self.item_vectors.T

    def score(self, users: Sequence[str]) -> np.ndarray:
        users = list(users)
        scores = self.popularity_scores(len(users))
        known = [u for u in dict.fromkeys(users) if u in self.user_text]
        missing = [u for u in known if u not in self._user_cache]
        if missing:  # each user's text is encoded once, then reused
            self._user_cache.update(zip(missing, self.encode([self.user_text[u] for u in missing]),
                                        strict=True))
        rows = [r for r, u in enumerate(users) if u in self.user_text]
        if rows:
            vectors = np.stack([self._user_cache[users[r]] for r in rows])
            scores[rows] = vectors @ self.item_vectors.T
        return scores

