"""Fine-tuning a transformers sequence classifier for click prediction, in plain PyTorch.

The loop is written out rather than hidden in `transformers.Trainer` so that a reader can see
each ingredient the chapters discuss: per-batch padding, AdamW without weight decay on biases
and LayerNorm, linear warmup and decay, gradient clipping, validation during training and early
stopping that restores the best weights.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .errors import ParameterError
from .metrics import auc
from .params import check_choice, check_float, check_int
from .runtime import DEVICE_CHOICES, pick_device, set_seed

if TYPE_CHECKING:
    import torch
    from torch.utils.data import DataLoader
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

METRICS = ("auc", "loss")
PRECISIONS = ("fp32", "bf16")
HISTORY_COLUMNS = ("step", "epoch", "train_loss", "valid_loss", "valid_auc", "lr")


class Encoded(list):
    """Token ids of each example (a list of dicts, unpadded) that remembers its tokenizer.

    The tokenizer travels with the data because batches are padded the tokenizer's way (its pad
    id and padding side); slicing keeps it, so `encoded[:100]` can be passed on as it is.
    """

    def __init__(self, items: Iterable[dict] = (), tokenizer: Any = None) -> None:
        super().__init__(items)
        self.tokenizer = tokenizer

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return Encoded(super().__getitem__(index), self.tokenizer)
        return super().__getitem__(index)

    def subset(self, indices: Iterable[int]) -> Encoded:
        """The examples at `indices` (e.g. a split), keeping the tokenizer."""
        return Encoded((list.__getitem__(self, int(i)) for i in indices), self.tokenizer)


def pretokenize(
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    text_pairs: Sequence[str] | None = None,
    max_length: int = 128,
) -> Encoded:
    """Tokenise once, truncated to max_length but not padded: padding happens per batch, to the
    batch's longest example, so short texts do not pay for long ones."""
    texts = _check_texts(texts, "texts")
    if text_pairs is not None:
        text_pairs = _check_texts(text_pairs, "text_pairs")
        if len(text_pairs) != len(texts):
            raise ParameterError(
                f"texts and text_pairs differ in length ({len(texts)} and {len(text_pairs)})"
            )
    check_int("max_length", max_length, low=2)
    limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(limit, int) and limit < 1_000_000 and max_length > limit:
        raise ParameterError(f"max_length={max_length} exceeds the model's limit of {limit}")
    if not texts:
        return Encoded([], tokenizer)
    batch = tokenizer(texts, text_pairs, truncation=True, max_length=max_length, padding=False)
    keys = list(batch.keys())
    return Encoded(({key: batch[key][i] for key in keys} for i in range(len(texts))), tokenizer)


def make_loader(
    encoded: Sequence[dict],
    labels: Sequence[int] | np.ndarray | None = None,
    batch_size: int = 32,
    shuffle: bool = False,
    seed: int = 0,
    sort_by_length: bool = False,
    tokenizer: PreTrainedTokenizerBase | None = None,
    group_by_length: bool = False,
) -> DataLoader:
    """A DataLoader that pads each batch to its longest example (DataCollatorWithPadding).

    shuffle=True draws a new order each epoch from `seed`; sort_by_length=True (for inference)
    batches examples of similar length together, longest first, which cuts padding further.
    group_by_length=True (for training, with shuffle) draws random batches of similar length:
    see `LengthGroupedBatches`.
    """
    return _loader(encoded, labels, batch_size, shuffle, seed, sort_by_length, tokenizer,
                   group_by_length)[0]


class LengthGroupedBatches:
    """Random training batches of similar length (the idea of transformers' group_by_length).

    Each epoch the examples are shuffled, cut into chunks of `chunk_batches` batches, each chunk
    is sorted by length and cut into batches, and the order of all batches is shuffled. A batch
    is then padded to little more than its examples' own length, while every epoch still draws
    new, random batches. Yields lists of indices (a DataLoader ``batch_sampler``).
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int = 0,
                 chunk_batches: int = 50) -> None:
        check_int("batch_size", batch_size, low=1)
        check_int("chunk_batches", chunk_batches, low=1)
        check_int("seed", seed, low=0)
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.batch_size = batch_size
        self.chunk = batch_size * chunk_batches
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return math.ceil(len(self.lengths) / self.batch_size)

    def __iter__(self):
        order = self._rng.permutation(len(self.lengths))
        batches = []
        for start in range(0, len(order), self.chunk):
            piece = order[start:start + self.chunk]
            piece = piece[np.argsort(-self.lengths[piece], kind="stable")]
            batches += [piece[i:i + self.batch_size].tolist()
                        for i in range(0, len(piece), self.batch_size)]
        for position in self._rng.permutation(len(batches)):
            yield batches[position]


@dataclass
class TrainConfig:
    """Fine-tuning settings; defaults suit a small encoder such as MiniLM on a few thousand
    examples. Set `patience=None` to switch early stopping off."""

    epochs: int = 3
    batch_size: int = 32
    lr: float = 5e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_grad_norm: float | None = 1.0
    patience: int | None = 2
    eval_every_steps: int | None = None  # None: validate once per epoch
    metric: str = "auc"  # "auc" (higher is better) or "loss" (validation log loss, lower)
    eval_batch_size: int = 64
    seed: int = 0
    device: str = "auto"
    group_by_length: bool = False  # random batches of similar length: less padding, faster
    head_lr: float | None = None  # learning rate of the new head (None: lr, like the rest)
    # "bf16": training steps in mixed precision (bfloat16 autocast, weights stay fp32); fast on
    # GPUs and CPUs with bf16 instructions, slow on older CPUs. Validation stays in fp32: logits
    # rounded to bfloat16 would tie many probabilities.
    precision: str = "fp32"

    def __post_init__(self) -> None:
        check_int("epochs", self.epochs, low=1)
        check_int("batch_size", self.batch_size, low=1)
        check_int("eval_batch_size", self.eval_batch_size, low=1)
        self.lr = check_float("lr", self.lr, low=0.0)
        if self.lr == 0:
            raise ParameterError("parameter 'lr' must be > 0")
        self.weight_decay = check_float("weight_decay", self.weight_decay, low=0.0)
        self.warmup_ratio = check_float("warmup_ratio", self.warmup_ratio, low=0.0, high=0.99)
        if self.max_grad_norm is not None:
            self.max_grad_norm = check_float("max_grad_norm", self.max_grad_norm, low=1e-12)
        if self.patience is not None:
            check_int("patience", self.patience, low=1)
        if self.eval_every_steps is not None:
            check_int("eval_every_steps", self.eval_every_steps, low=1)
        check_choice("metric", self.metric, METRICS)
        check_int("seed", self.seed, low=0)
        check_choice("device", self.device, DEVICE_CHOICES)
        if self.head_lr is not None:
            self.head_lr = check_float("head_lr", self.head_lr, low=0.0)
            if self.head_lr == 0:
                raise ParameterError("parameter 'head_lr' must be > 0")
        check_choice("precision", self.precision, PRECISIONS)
        if not isinstance(self.group_by_length, bool):
            raise ParameterError(
                f"parameter 'group_by_length' must be True or False, got {self.group_by_length!r}"
            )


@dataclass
class FitResult:
    """What `fit` did. `seconds` is wall time and differs between runs; the rest is seeded."""

    history: pd.DataFrame
    best_step: int
    best_score: float
    stopped_early: bool
    seconds: float
    metric: str
    precision: str = "fp32"
    # the loss of every optimiser step, in order: what a learning curve per step is drawn from
    # (``history`` keeps only its mean between two validations)
    step_losses: np.ndarray = field(default_factory=lambda: np.zeros(0))


def fit(
    model: PreTrainedModel,
    train_encoded: Sequence[dict],
    train_labels: Sequence[int] | np.ndarray,
    valid_encoded: Sequence[dict],
    valid_labels: Sequence[int] | np.ndarray,
    config: TrainConfig | None = None,
    progress: bool = True,
    tokenizer: PreTrainedTokenizerBase | None = None,
) -> FitResult:
    """Fine-tune `model` in place on binary labels; on return it holds the weights of the best
    validation score (which is what early stopping is for), in eval mode."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    config = TrainConfig() if config is None else config
    if not isinstance(config, TrainConfig):
        raise ParameterError(f"config must be a TrainConfig, got {type(config).__name__}")
    y_train = _check_labels(train_labels, len(train_encoded), "train_labels")
    y_valid = _check_labels(valid_labels, len(valid_encoded), "valid_labels")
    if len(y_train) == 0 or len(y_valid) == 0:
        raise ParameterError("the training and validation sets must not be empty")
    if config.metric == "auc" and len(np.unique(y_valid)) < 2:
        raise ParameterError(
            "validation AUC needs clicks and non-clicks in the validation set; use a larger "
            "validation split or TrainConfig(metric='loss')"
        )
    tokenizer = _tokenizer_of(train_encoded, tokenizer)
    start = time.perf_counter()
    set_seed(config.seed)
    device = pick_device(config.device)
    model.to(device)

    train_loader, _ = _loader(
        train_encoded, y_train, config.batch_size, True, config.seed, False, tokenizer,
        config.group_by_length,
    )
    valid_loader, _ = _loader(
        valid_encoded, y_valid, config.eval_batch_size, False, 0, True, tokenizer
    )
    steps_per_epoch = len(train_loader)
    total_steps = steps_per_epoch * config.epochs
    eval_every = config.eval_every_steps or steps_per_epoch
    trainable = [p for p in model.parameters() if p.requires_grad]
    if not trainable:
        raise ParameterError("the model has no trainable parameters (see freeze_layers)")
    optimizer = torch.optim.AdamW(
        parameter_groups(model, config.weight_decay, config.lr, config.head_lr), lr=config.lr
    )
    scheduler = get_linear_schedule_with_warmup(
        optimizer, round(config.warmup_ratio * total_steps), total_steps
    )

    higher_is_better = config.metric == "auc"
    best_score, best_step, best_state = -math.inf if higher_is_better else math.inf, 0, None
    rows: list[dict[str, float]] = []
    losses: list[float] = []
    every_loss: list[float] = []
    step, waited, stopped = 0, 0, False
    bar = tqdm(total=total_steps, desc="fine-tuning", unit="step", disable=not progress)
    for _epoch in range(config.epochs):
        model.train()
        for batch in train_loader:
            batch = {name: tensor.to(device) for name, tensor in batch.items()}
            labels = batch.pop("labels")
            with autocast_context(device, config.precision):
                logits = model(**batch).logits
            loss = _loss(logits.float(), labels)
            loss.backward()
            if config.max_grad_norm is not None:
                torch.nn.utils.clip_grad_norm_(trainable, config.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            losses.append(loss.item())
            every_loss.append(losses[-1])
            bar.update(1)
            if step % eval_every and step != total_steps:
                continue
            valid_loss, valid_auc = _evaluate(model, valid_loader, device, progress)
            model.train()
            rows.append(
                {
                    "step": step,
                    "epoch": step / steps_per_epoch,
                    "train_loss": float(np.mean(losses)),
                    "valid_loss": valid_loss,
                    "valid_auc": valid_auc,
                    "lr": scheduler.get_last_lr()[0],
                }
            )
            losses = []
            score = valid_auc if higher_is_better else valid_loss
            bar.set_postfix_str(
                f"train_loss={rows[-1]['train_loss']:.4f} valid_{config.metric}={score:.4f}"
            )
            improved = score > best_score if higher_is_better else score < best_score
            if improved:
                best_score, best_step, best_state, waited = score, step, _snapshot(model), 0
            else:
                waited += 1
                if config.patience is not None and waited >= config.patience:
                    stopped = True
                    break
        if stopped:
            break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return FitResult(
        history=pd.DataFrame(rows, columns=list(HISTORY_COLUMNS)),
        best_step=best_step,
        best_score=float(best_score),
        stopped_early=stopped,
        seconds=time.perf_counter() - start,
        metric=config.metric,
        precision=config.precision,
        step_losses=np.asarray(every_loss, dtype=np.float64),
    )


def predict_proba(
    model: PreTrainedModel,
    encoded: Sequence[dict],
    batch_size: int = 64,
    device: str = "auto",
    tokenizer: PreTrainedTokenizerBase | None = None,
    progress: bool = False,
    precision: str = "fp32",
) -> np.ndarray:
    """Probability of class 1 (a click) for each example, in the order given.

    Examples are batched longest first, so each batch holds texts of similar length and little
    padding; the results are put back in the original order before they are returned.
    ``precision="bf16"`` runs the forward passes under bfloat16 autocast (about 2-3x faster on a
    CPU with bfloat16 matrix instructions; a model whose head computes in fp32, such as
    `recsys_helpers.models.cross_encoder.PairClassifier`, keeps its scores free of bf16 ties).
    """
    import torch

    check_int("batch_size", batch_size, low=1)
    check_choice("precision", precision, PRECISIONS)
    if len(encoded) == 0:
        return np.zeros(0, dtype=np.float64)
    tokenizer = _tokenizer_of(encoded, tokenizer)
    target = pick_device(device)
    loader, order = _loader(encoded, None, batch_size, False, 0, True, tokenizer)
    was_training = model.training
    model.to(target).eval()
    chunks = []
    with torch.inference_mode(), autocast_context(target, precision):
        for batch in tqdm(loader, desc="predicting", disable=not progress, leave=False):
            logits = model(**{name: t.to(target) for name, t in batch.items()}).logits
            chunks.append(_probability(logits).float().cpu().numpy())
    model.train(was_training)
    probs = np.empty(len(encoded), dtype=np.float64)
    probs[order] = np.concatenate(chunks)
    return probs


def freeze_layers(model: PreTrainedModel, strategy: str) -> int:
    """Choose which parts train; returns the number of trainable parameters.

    - "head": only the classification head (and what sits between the encoder and it, such as
      BERT's pooler) trains; the embeddings and every encoder layer are frozen.
    - "top-k" (e.g. "top-2"): the head plus the last k encoder layers.
    - "all": everything, embeddings included (full fine-tuning).
    """
    embeddings, layers = encoder_parts(model)
    n_top = layers_to_train(strategy, len(layers))
    for parameter in model.parameters():
        parameter.requires_grad_(True)
    if strategy != "all":
        for parameter in embeddings.parameters():
            parameter.requires_grad_(False)
        for layer in layers[: len(layers) - n_top]:
            for parameter in layer.parameters():
                parameter.requires_grad_(False)
    return count_trainable(model)


def layers_to_train(strategy: str, n_layers: int) -> int:
    """How many of `n_layers` encoder layers a freezing strategy trains ("head": 0, "top-k": k,
    "all": all of them); an unknown strategy or k outside 1..n_layers raises."""
    if strategy == "all":
        return n_layers
    if strategy == "head":
        return 0
    match = re.fullmatch(r"top-(\d+)", strategy) if isinstance(strategy, str) else None
    if match is None:
        raise ParameterError(
            f"each strategy must be 'head', 'top-k' (e.g. 'top-2') or 'all', got {strategy!r}"
        )
    n_top = int(match.group(1))
    if not 1 <= n_top <= n_layers:
        raise ParameterError(f"strategy {strategy!r}: the model has {n_layers} encoder layers, "
                             f"so k must be between 1 and {n_layers}")
    return n_top


def encoder_parts(model: PreTrainedModel) -> tuple[Any, list]:
    """The embedding module and the encoder blocks (bottom to top) of a model with a head."""
    base = getattr(model, "base_model", model)
    if base is model:
        raise ParameterError("expected a model with a head, e.g. from load_classifier")
    embeddings = getattr(base, "embeddings", None)
    if embeddings is None:
        embeddings = base.get_input_embeddings()
    return embeddings, _encoder_layers(base)


def count_trainable(model: Any) -> int:
    """Number of parameters that an optimiser would update."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# --- internals -------------------------------------------------------------------------------


def _loader(
    encoded: Sequence[dict],
    labels: Any,
    batch_size: int,
    shuffle: bool,
    seed: int,
    sort_by_length: bool,
    tokenizer: Any,
    group_by_length: bool = False,
) -> tuple[DataLoader, np.ndarray]:
    """The DataLoader and the order in which it visits the examples (for sorted batches)."""
    import torch
    from torch.utils.data import DataLoader
    from transformers import DataCollatorWithPadding

    check_int("batch_size", batch_size, low=1)
    check_int("seed", seed, low=0)
    if shuffle and sort_by_length:
        raise ParameterError("choose shuffle (training) or sort_by_length (inference), not both")
    if group_by_length and not shuffle:
        raise ParameterError("group_by_length draws random batches: use it with shuffle=True")
    tokenizer = _tokenizer_of(encoded, tokenizer)
    y = None if labels is None else _check_labels(labels, len(encoded), "labels")
    dataset = _Examples(encoded, y)
    collate = DataCollatorWithPadding(tokenizer, return_tensors="pt")
    if sort_by_length:
        lengths = np.fromiter((len(e["input_ids"]) for e in encoded), dtype=np.int64)
        order = np.argsort(-lengths, kind="stable")
        loader = DataLoader(dataset, batch_size, sampler=order.tolist(), collate_fn=collate)
        return loader, order
    if group_by_length:
        lengths = [len(e["input_ids"]) for e in encoded]
        batches = LengthGroupedBatches(lengths, batch_size, seed)
        return DataLoader(dataset, batch_sampler=batches, collate_fn=collate), np.arange(
            len(encoded))
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    loader = DataLoader(
        dataset, batch_size, shuffle=shuffle, generator=generator, collate_fn=collate
    )
    return loader, np.arange(len(encoded))


class _Examples:
    """Map-style dataset: example i with its label under "labels" (the collator's key)."""

    def __init__(self, encoded: Sequence[dict], labels: np.ndarray | None) -> None:
        self.encoded, self.labels = encoded, labels

    def __len__(self) -> int:
        return len(self.encoded)

    def __getitem__(self, index: int) -> dict:
        example = dict(self.encoded[index])
        if self.labels is not None:
            example["labels"] = int(self.labels[index])
        return example


def _tokenizer_of(encoded: Sequence[dict], tokenizer: Any) -> Any:
    tokenizer = tokenizer if tokenizer is not None else getattr(encoded, "tokenizer", None)
    if tokenizer is None:
        raise ParameterError(
            "no tokenizer to pad batches with: pass the output of pretokenize (it remembers its "
            "tokenizer), or tokenizer=..."
        )
    if len(encoded) and not (isinstance(encoded[0], dict) and "input_ids" in encoded[0]):
        raise ParameterError("encoded must be a list of dicts with input_ids (see pretokenize)")
    return tokenizer


def _check_texts(texts: Any, name: str) -> list[str]:
    if isinstance(texts, str):
        raise ParameterError(f"{name} must be a list of strings, not a single string")
    texts = list(texts)
    if not all(isinstance(t, str) for t in texts):
        raise ParameterError(f"{name} must all be strings (fill missing text with '' first)")
    return texts


def _check_labels(labels: Any, n: int, name: str) -> np.ndarray:
    y = np.asarray(labels).ravel()
    if len(y) != n:
        raise ParameterError(f"{name} has {len(y)} entries for {n} examples")
    if len(y) and not set(np.unique(y).tolist()) <= {0, 1}:
        raise ParameterError(f"{name} must be 0/1 (click or not)")
    return y.astype(np.int64)


def parameter_groups(
    model: Any, weight_decay: float, lr: float | None = None, head_lr: float | None = None
) -> list[dict]:
    """Weight decay on weight matrices only: decaying biases and LayerNorm gains towards zero
    has no regularising purpose and hurts (the BERT recipe).

    With `head_lr`, the parameters outside the pretrained base model (the new, randomly
    initialised head) get their own learning rate: a few hundred steps at a rate suited to
    pretrained weights barely move a head that starts from scratch.
    """
    base = getattr(model, "base_model", model)
    in_base = {id(p) for p in base.parameters()}  # all of them if there is no head
    groups: dict[tuple[bool, bool], list] = {}
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        lowered = name.lower()
        decays = not (parameter.ndim < 2 or "bias" in lowered or "norm" in lowered)
        is_head = head_lr is not None and id(parameter) not in in_base
        groups.setdefault((decays, is_head), []).append(parameter)
    result = []
    # weight-decayed groups first, then the head's
    for (decays, is_head), parameters in sorted(groups.items(), key=_group_order):
        group = {"params": parameters, "weight_decay": weight_decay if decays else 0.0}
        if is_head:
            group["lr"] = head_lr
        elif lr is not None:
            group["lr"] = lr
        result.append(group)
    return result


def _group_order(entry: tuple[tuple[bool, bool], list]) -> tuple[bool, bool]:
    (decays, is_head), _ = entry
    return (not decays, is_head)


def _loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over two logits, or binary cross-entropy on one."""
    import torch.nn.functional as F

    if logits.shape[-1] == 1:
        return F.binary_cross_entropy_with_logits(logits.squeeze(-1), labels.float())
    return F.cross_entropy(logits, labels.long())


def _probability(logits: torch.Tensor) -> torch.Tensor:
    if logits.shape[-1] == 1:
        return logits.squeeze(-1).sigmoid()
    if logits.shape[-1] == 2:
        return logits.softmax(dim=-1)[:, 1]
    raise ParameterError(f"expected 1 or 2 output logits, the model has {logits.shape[-1]}")


def autocast_context(device: str, precision: str) -> Any:
    """bfloat16 autocast for "bf16"; a no-op context for "fp32"."""
    import contextlib

    import torch

    if precision == "fp32":
        return contextlib.nullcontext()
    if device == "cuda" and not torch.cuda.is_bf16_supported():
        raise ParameterError(
            "precision='bf16' needs a GPU with bfloat16 support (NVIDIA Ampere or newer); "
            f"{torch.cuda.get_device_name()} has none: use precision='fp32'"
        )
    return torch.autocast(device_type=device, dtype=torch.bfloat16)


def _evaluate(model: Any, loader: DataLoader, device: str, progress: bool) -> tuple[float, float]:
    """Validation loss (mean over examples) and AUC (NaN if the labels have one class)."""
    import torch

    model.eval()
    total, count, probs, labels = 0.0, 0, [], []
    with torch.inference_mode():
        for batch in tqdm(loader, desc="validating", leave=False, disable=not progress):
            batch = {name: tensor.to(device) for name, tensor in batch.items()}
            y = batch.pop("labels")
            logits = model(**batch).logits
            total += _loss(logits, y).item() * len(y)
            count += len(y)
            probs.append(_probability(logits).float().cpu().numpy())
            labels.append(y.cpu().numpy())
    y_all = np.concatenate(labels)
    valid_auc = auc(y_all, np.concatenate(probs)) if len(np.unique(y_all)) == 2 else math.nan
    return total / count, valid_auc


def _snapshot(model: Any) -> dict[str, torch.Tensor]:
    """A CPU copy of the weights, to restore the best ones after early stopping."""
    return {name: t.detach().to("cpu", copy=True) for name, t in model.state_dict().items()}


def _encoder_layers(base: Any) -> list:
    """The stack of transformer blocks: the longest ModuleList in the base model."""
    from torch import nn

    stacks = [m for m in base.modules() if isinstance(m, nn.ModuleList) and len(m) > 0]
    if not stacks:
        raise ParameterError(f"cannot find the encoder layers of {type(base).__name__}")
    return list(max(stacks, key=len))
