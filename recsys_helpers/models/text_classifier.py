"""Classifying short texts (intents, sentiment) with a pretrained sentence encoder.

Three ways to use the same encoder, from cheapest to dearest:

- **linear probe**: the encoder stays frozen; each text becomes its normalised, mean-pooled
  embedding (computed once per run, `EmbeddingCache`) and a logistic regression reads it;
- **contrastive few-shot tuning** (the SetFit recipe, Tunstall et al. 2022): pairs of texts
  with the same label are pulled together and pairs with different labels pushed apart
  (cosine similarity regressed on 1 / 0, over every pair of a batch), then a probe is fitted
  on the tuned embeddings;
- **fine-tuning** (`SentenceClassifier`): the encoder and a linear head over the *normalised
  mean* of its token states train together on cross-entropy. The head can start from the
  probe's weights (LP-FT, Kumar et al. 2022): a randomly initialised head sends large, random
  gradients into the pretrained encoder during the first steps and costs many steps to undo,
  while a head that starts from the probe starts at the probe's accuracy, and fine-tuning only
  has to improve on it. (A probe that already fits the training texts almost perfectly leaves
  little loss, hence little gradient, for the encoder: start from a more regularised one.)

Every training step can run in bfloat16 autocast (``precision="bf16"``), batches are drawn of
similar length (`recsys_helpers.train.LengthGroupedBatches`) and padded per batch, and the loss
of every step is kept (`TuneResult.loss_start`, `loss_end`): a loss that stays at ln(k) for k
classes means the set-up is broken, whatever the accuracy says.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..errors import ParameterError
from ..params import check_choice, check_float, check_int
from ..runtime import DEVICE_CHOICES, pick_device, set_seed
from ..train import (
    PRECISIONS,
    Encoded,
    LengthGroupedBatches,
    autocast_context,
    parameter_groups,
    pretokenize,
)
from .cross_encoder import pool_states

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from sklearn.linear_model import LogisticRegression
    from transformers import PreTrainedModel

LOSS_WINDOW = 10  # optimiser steps averaged for TuneResult.loss_start / loss_end


# --- labels and few-shot samples ------------------------------------------------------------


def label_codes(labels: Sequence[str], classes: Sequence[str]) -> np.ndarray:
    """Class index of each label in `classes`; a label outside `classes` raises."""
    position = {name: i for i, name in enumerate(classes)}
    unknown = sorted({str(x) for x in labels if x not in position})
    if unknown:
        raise ParameterError(f"labels not among the {len(position)} classes: {unknown[:5]}"
                             f"{' ...' if len(unknown) > 5 else ''}")
    return np.fromiter((position[x] for x in labels), dtype=np.int64, count=len(labels))


def per_class_sample(labels: Sequence[Any], per_class: int, seed: int = 0) -> np.ndarray:
    """Indices of `per_class` examples of every class drawn at random (all of a class that has
    fewer), sorted: the k-shot training set of the MTEB and SetFit protocols."""
    check_int("per_class", per_class, low=1)
    check_int("seed", seed, low=0)
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    chosen = []
    for value in pd.unique(labels):
        members = np.flatnonzero(labels == value)
        take = min(per_class, len(members))
        chosen.append(rng.choice(members, size=take, replace=False))
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)


# --- frozen embeddings and the linear probe -------------------------------------------------


class EmbeddingCache:
    """Normalised sentence embeddings of texts, each distinct text encoded once per run.

    The chapters embed the same texts for several models (every few-shot draw, the learning
    curve, the stream of the monitoring section); the cache turns those into look-ups.
    ``precision="bf16"`` encodes under bfloat16 autocast where the hardware has it (about 2.5x
    faster on a CPU with bf16 instructions; cosine to the fp32 vectors > 0.9999).
    """

    def __init__(self, encoder: SentenceTransformer, batch_size: int = 128,
                 precision: str = "fp32") -> None:
        check_int("batch_size", batch_size, low=1)
        check_choice("precision", precision, PRECISIONS)
        self.encoder, self.batch_size, self.precision = encoder, batch_size, precision
        self._rows: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """The (n, dim) float32 embeddings of `texts`, in order."""
        from .pretrained import encode_texts

        if isinstance(texts, str):
            raise ParameterError("texts must be a list of strings, not a single string")
        texts = list(texts)
        missing = list(dict.fromkeys(t for t in texts if t not in self._rows))
        if missing:
            vectors = encode_texts(self.encoder, missing, batch_size=self.batch_size,
                                   precision=self.precision)
            self._rows.update(zip(missing, vectors, strict=True))
        if not texts:
            return encode_texts(self.encoder, [])
        return np.stack([self._rows[t] for t in texts]).astype(np.float32)


def fit_probe(embeddings: np.ndarray, labels: Sequence[int], c: float = 10.0,
              max_iter: int = 1000, seed: int = 0) -> LogisticRegression:
    """Multinomial logistic regression on (normalised) embeddings: the linear probe.

    ``c`` is the inverse L2 strength. On unit vectors the default C=1 of scikit-learn shrinks
    the weights so much that the probe underfits many classes; 10 suits 3 to 100 classes.
    """
    from sklearn.linear_model import LogisticRegression

    c = check_float("c", c, low=1e-6)
    check_int("max_iter", max_iter, low=1)
    x = np.asarray(embeddings, dtype=np.float64)
    y = np.asarray(labels)
    if x.ndim != 2 or len(x) != len(y) or len(x) == 0:
        raise ParameterError(f"embeddings must be (n, dim) with one label per row; got "
                             f"{x.shape} for {len(y)} labels")
    if len(np.unique(y)) < 2:
        raise ParameterError("a probe needs examples of at least two classes")
    return LogisticRegression(C=c, max_iter=max_iter, random_state=seed).fit(x, y)


# --- the fine-tuned classifier --------------------------------------------------------------


class SentenceClassifier(nn.Module):
    """A pretrained encoder with a linear head over the normalised mean of its token states.

    The features are exactly the frozen sentence embeddings (mean pooling, unit length), so a
    probe fitted on those embeddings can be copied into the head (`init_head_from_probe`) and
    the untrained model then predicts what the probe predicts. ``base_model`` is the encoder:
    `recsys_helpers.train.parameter_groups` gives the head its own learning rate.
    """

    def __init__(self, encoder: PreTrainedModel, num_classes: int, dropout: float = 0.0) -> None:
        super().__init__()
        check_int("num_classes", num_classes, low=2)
        check_float("dropout", dropout, low=0.0, high=0.9)
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.config.hidden_size, num_classes)

    @property
    def base_model(self) -> PreTrainedModel:
        return self.encoder

    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
              token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        """Unit-length mean-pooled sentence vectors (what the frozen encoder produces)."""
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state
        pooled = pool_states(states, attention_mask, "mean").float()
        return nn.functional.normalize(pooled, dim=-1)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor | None = None, **_: Any) -> torch.Tensor:
        """Logits (batch, classes)."""
        features = self.embed(input_ids, attention_mask, token_type_ids)
        return self.head(self.dropout(features).to(self.head.weight.dtype))

    def init_head_from_probe(self, probe: LogisticRegression) -> None:
        """Copy a probe's weights into the head (its classes must be 0..k-1 in order)."""
        classes = np.asarray(probe.classes_)
        if classes.tolist() != list(range(self.head.out_features)):
            raise ParameterError(f"the probe's classes must be 0..{self.head.out_features - 1} "
                                 f"(fitted on every class), got {classes.tolist()[:5]}...")
        if probe.coef_.shape[1] != self.head.in_features:
            raise ParameterError(f"the probe reads {probe.coef_.shape[1]} features, the encoder "
                                 f"gives {self.head.in_features}")
        with torch.no_grad():
            self.head.weight.copy_(torch.as_tensor(probe.coef_, dtype=torch.float32))
            self.head.bias.copy_(torch.as_tensor(probe.intercept_, dtype=torch.float32))


def build_classifier(model: str = "minilm", num_classes: int = 2,
                     probe: LogisticRegression | None = None,
                     device: str = "auto") -> SentenceClassifier:
    """The pretrained encoder `model` with a fresh head, started from `probe` when given."""
    from .pretrained import load_base_model

    classifier = SentenceClassifier(load_base_model(model, device="cpu"), num_classes)
    if probe is not None:
        classifier.init_head_from_probe(probe)
    return classifier.to(pick_device(device))


@dataclass
class TuneConfig:
    """Settings of a fine-tuning run, counted in optimiser steps (a CPU budget is a number of
    steps, whatever the training set's size). ``head_lr`` is the learning rate of the head."""

    steps: int = 300
    batch_size: int = 32
    lr: float = 5e-5
    head_lr: float | None = 1e-3
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_grad_norm: float | None = 1.0
    precision: str = "bf16"
    seed: int = 0
    device: str = "auto"
    eval_every: int | None = None  # steps between evaluations for the accuracy-vs-steps curve

    def __post_init__(self) -> None:
        check_int("steps", self.steps, low=1)
        check_int("batch_size", self.batch_size, low=2)
        self.lr = check_float("lr", self.lr, low=1e-12)
        if self.head_lr is not None:
            self.head_lr = check_float("head_lr", self.head_lr, low=1e-12)
        self.weight_decay = check_float("weight_decay", self.weight_decay, low=0.0)
        self.warmup_ratio = check_float("warmup_ratio", self.warmup_ratio, low=0.0, high=0.99)
        if self.max_grad_norm is not None:
            self.max_grad_norm = check_float("max_grad_norm", self.max_grad_norm, low=1e-12)
        check_choice("precision", self.precision, PRECISIONS)
        check_int("seed", self.seed, low=0)
        check_choice("device", self.device, DEVICE_CHOICES)
        if self.eval_every is not None:
            check_int("eval_every", self.eval_every, low=1)


@dataclass
class TuneResult:
    """What a fine-tuning run did: the loss of every step, the evaluations made along the way
    (columns step and whatever the evaluation returned) and the wall time (not seeded)."""

    step_losses: np.ndarray
    curve: pd.DataFrame = field(default_factory=pd.DataFrame)
    seconds: float = 0.0

    @property
    def loss_start(self) -> float:
        """Mean loss of the first steps (compare with ln k, the loss of a uniform guess)."""
        return float(np.mean(self.step_losses[:LOSS_WINDOW]))

    @property
    def loss_end(self) -> float:
        """Mean loss of the last steps."""
        return float(np.mean(self.step_losses[-LOSS_WINDOW:]))


def fine_tune(model: SentenceClassifier, encoded: Encoded, labels: Sequence[int],
              config: TuneConfig | None = None,
              evaluate: Callable[[SentenceClassifier], dict[str, float]] | None = None,
              ) -> TuneResult:
    """Train `model` in place on cross-entropy for `config.steps` steps; returns the losses.

    ``evaluate(model)`` (say, test accuracy) is called before the first step and every
    ``config.eval_every`` steps and at the end, and its results form `TuneResult.curve`.
    """
    config = TuneConfig() if config is None else config
    y = _check_codes(labels, len(encoded), model.head.out_features)
    device = pick_device(config.device)
    start = time.perf_counter()
    set_seed(config.seed)
    model.to(device)
    loader = _training_batches(encoded, y, config.batch_size, config.seed)
    optimizer, scheduler = _optimiser(model, config)
    rows = []

    def checkpoint(step: int) -> None:
        if evaluate is not None:
            rows.append({"step": step, **evaluate(model)})
            model.train()

    if config.eval_every is not None:
        checkpoint(0)
    losses = []
    model.train()
    for step, batch in zip(range(1, config.steps + 1), _forever(loader), strict=False):
        batch = {name: tensor.to(device) for name, tensor in batch.items()}
        targets = batch.pop("labels")
        with autocast_context(device, config.precision):
            logits = model(**batch)
        loss = nn.functional.cross_entropy(logits.float(), targets)
        losses.append(_step(loss, model, optimizer, scheduler, config.max_grad_norm))
        if config.eval_every is not None and step % config.eval_every == 0 \
                and step != config.steps:
            checkpoint(step)
    checkpoint(config.steps)
    model.eval()
    return TuneResult(np.asarray(losses), pd.DataFrame(rows), time.perf_counter() - start)


def predict_proba(model: SentenceClassifier, encoded: Encoded, batch_size: int = 128,
                  precision: str = "fp32") -> np.ndarray:
    """Class probabilities (n, classes) in the order given; batches are formed longest first
    to cut padding, and the rows put back in order."""
    from ..train import make_loader

    check_int("batch_size", batch_size, low=1)
    check_choice("precision", precision, PRECISIONS)
    if len(encoded) == 0:
        return np.zeros((0, model.head.out_features))
    device = next(model.parameters()).device.type
    lengths = np.fromiter((len(e["input_ids"]) for e in encoded), dtype=np.int64)
    order = np.argsort(-lengths, kind="stable")  # the order make_loader(sort_by_length) visits
    loader = make_loader(encoded, batch_size=batch_size, sort_by_length=True)
    was_training = model.training
    model.eval()
    chunks = []
    with torch.inference_mode(), autocast_context(device, precision):
        for batch in loader:
            logits = model(**{name: t.to(device) for name, t in batch.items()})
            chunks.append(logits.float().softmax(dim=-1).cpu().numpy())
    model.train(was_training)
    probs = np.empty((len(encoded), model.head.out_features))
    probs[order] = np.concatenate(chunks)
    return probs


# --- contrastive few-shot tuning (SetFit) ----------------------------------------------------


def contrastive_tune(encoder: SentenceTransformer, texts: Sequence[str], labels: Sequence[Any],
                     config: TuneConfig | None = None, max_length: int = 64,
                     per_class: int = 4) -> TuneResult:
    """Tune a sentence encoder in place on pairs of the few labelled texts (SetFit's body step).

    SetFit regresses the cosine of two texts' embeddings on 1 (same label) or 0 (different
    labels). To get many pairs out of each forward pass, a step draws ``batch_size`` texts as
    ``batch_size // per_class`` classes with ``per_class`` texts each and scores *every* pair in
    the batch; positive and negative pairs weigh half each in the squared error. Afterwards
    `EmbeddingCache` on the same encoder gives the tuned embeddings, and a probe is fitted on
    them as usual. Texts of a single class cannot form negative pairs, and raise.
    """
    config = TuneConfig(head_lr=None) if config is None else config
    check_int("per_class", per_class, low=2)
    labels = np.asarray(labels)
    if len(labels) != len(texts):
        raise ParameterError(f"texts and labels differ in length ({len(texts)}, {len(labels)})")
    classes = pd.unique(labels)
    if len(classes) < 2:
        raise ParameterError("contrastive tuning needs texts of at least two classes")
    body = encoder[0].auto_model
    tokenizer = encoder.tokenizer
    device = pick_device(config.device)
    encoder.to(device)
    encoded = pretokenize(tokenizer, list(texts), max_length=max_length)
    start = time.perf_counter()
    set_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    members = [np.flatnonzero(labels == value) for value in classes]
    n_classes = min(len(classes), max(2, config.batch_size // per_class))
    optimizer, scheduler = _optimiser(body, config)
    from transformers import DataCollatorWithPadding

    collate = DataCollatorWithPadding(tokenizer, return_tensors="pt")
    losses = []
    encoder.train()
    for _ in range(config.steps):
        picked = rng.choice(len(classes), size=n_classes, replace=False)
        rows = np.concatenate([rng.choice(members[c], size=per_class,
                                          replace=len(members[c]) < per_class) for c in picked])
        batch = collate([encoded[i] for i in rows])
        batch = {name: tensor.to(device) for name, tensor in batch.items()}
        with autocast_context(device, config.precision):
            states = body(**batch).last_hidden_state
        vectors = nn.functional.normalize(
            pool_states(states, batch["attention_mask"], "mean").float(), dim=-1)
        loss = _pair_loss(vectors, torch.as_tensor(labels[rows] == labels[rows][:, None],
                                                   device=device))
        losses.append(_step(loss, body, optimizer, scheduler, config.max_grad_norm))
    encoder.eval()
    return TuneResult(np.asarray(losses), pd.DataFrame(), time.perf_counter() - start)


def _pair_loss(vectors: torch.Tensor, same: torch.Tensor) -> torch.Tensor:
    """SetFit's cosine loss over every pair of a batch: (cos - 1)^2 on pairs with the same
    label, cos^2 on the others, each kind weighing half (there are far more negatives)."""
    cosine = vectors @ vectors.T
    upper = torch.triu(torch.ones_like(same, dtype=torch.bool), diagonal=1)
    positive, negative = same & upper, ~same & upper
    loss = 0.5 * ((cosine[negative]) ** 2).mean()
    if positive.any():
        loss = loss + 0.5 * ((cosine[positive] - 1.0) ** 2).mean()
    return loss


# --- internals ------------------------------------------------------------------------------


class _Examples(torch.utils.data.Dataset):
    def __init__(self, encoded: Encoded, labels: np.ndarray) -> None:
        self.encoded, self.labels = encoded, labels

    def __len__(self) -> int:
        return len(self.encoded)

    def __getitem__(self, index: int) -> dict:
        return {**self.encoded[index], "labels": int(self.labels[index])}


def _training_batches(encoded: Encoded, labels: np.ndarray, batch_size: int,
                      seed: int) -> torch.utils.data.DataLoader:
    """Random batches of similar length, padded per batch."""
    from transformers import DataCollatorWithPadding

    tokenizer = getattr(encoded, "tokenizer", None)
    if tokenizer is None:
        raise ParameterError("encoded must come from recsys_helpers.train.pretokenize")
    lengths = [len(e["input_ids"]) for e in encoded]
    return torch.utils.data.DataLoader(
        _Examples(encoded, labels), batch_sampler=LengthGroupedBatches(lengths, batch_size, seed),
        collate_fn=DataCollatorWithPadding(tokenizer, return_tensors="pt"))


def _forever(loader: torch.utils.data.DataLoader):
    while True:
        yield from loader


def _optimiser(model: nn.Module, config: TuneConfig) -> tuple[Any, Any]:
    """AdamW (no decay on biases and norms, the head at its own rate) with linear warmup and
    decay over `config.steps`."""
    from transformers import get_linear_schedule_with_warmup

    groups = parameter_groups(model, config.weight_decay, config.lr, config.head_lr)
    if not groups:
        raise ParameterError("the model has no trainable parameters")
    optimizer = torch.optim.AdamW(groups, lr=config.lr)
    scheduler = get_linear_schedule_with_warmup(
        optimizer, round(config.warmup_ratio * config.steps), config.steps)
    return optimizer, scheduler


def _step(loss: torch.Tensor, model: nn.Module, optimizer: Any, scheduler: Any,
          max_grad_norm: float | None) -> float:
    if not math.isfinite(loss.item()):
        raise ParameterError("the training loss is not finite: lower the learning rate")
    loss.backward()
    if max_grad_norm is not None:
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad],
                                       max_grad_norm)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return float(loss.item())


def _check_codes(labels: Sequence[int], n: int, num_classes: int) -> np.ndarray:
    y = np.asarray(labels)
    if y.shape != (n,):
        raise ParameterError(f"labels has shape {y.shape} for {n} examples")
    if n == 0:
        raise ParameterError("the training set is empty")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= num_classes:
        raise ParameterError(f"labels must be class indices 0..{num_classes - 1} "
                             "(see label_codes)")
    return y.astype(np.int64)
