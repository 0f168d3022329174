"""A click cross-encoder that trains on a CPU budget: a BERT sequence classifier over
``[CLS] history text [SEP] item text [SEP]`` whose head reads the *mean* of the token states.

Why not the stock head (`transformers`' ``BertForSequenceClassification``: the [CLS] state
through BERT's pooler, then a linear layer)? all-MiniLM-L6-v2 was trained as a *sentence
encoder*: its meaning lives in the mean of its token states, not in [CLS]. Its checkpoint
still carries BERT's pooler (a tanh layer over [CLS]), but the sentence training never used
it, so the stock head reads a token that was never trained to summarise the pair. On the lab
shop's recommendation click pairs, 125 CPU steps left its training loss at ln 2 (0.695 ->
0.694, a coin toss) where the mean-pooled head's fell to 0.52 (`benchmarks/
cross_encoder_recipe.py --stock`); on pairs with a stronger signal, such as the shop's search
clicks, both heads train. Mean pooling gives the head, from the first step, the features the
encoder was trained to produce.

The other levers of the recipe (`cpu_recipe`):

- **short pairs**: histories of 2-3 titles and ``max_length`` 48 tokens; a step costs about
  linear in the tokens, so shorter pairs buy more steps in the same wall time;
- **tokenise once**: `PairTokens` keeps each frame's token ids, so a learning curve or several
  seeds never tokenise a pair twice;
- **a learning rate per part**: the new head learns at ``head_lr`` (it starts from zero), the
  pretrained encoder at ``lr``;
- **more passes over fewer pairs**: several epochs, with the loss of every step recorded
  (`CrossEncoder.loss_curve`, `train_loss_start`, `train_loss_end`);
- **any encoder to start from**: a model name ("minilm"), a folder, or an already built
  transformers encoder, such as the fine-tuned tower of a bi-encoder
  (`recsys_helpers.models.bi_encoder`), which is copied, not changed.

What it does and does not buy, measured on the default lab shop (`benchmarks/
cross_encoder_recipe.py`): the training loss leaves ln 2 (0.69 -> about 0.52 over 125 steps),
but on the lab shop's click task the texts carry little signal (even counting the history
titles of the candidate's own category ranks clicks at an AUC of only 0.56-0.60), so the
validation AUC of 400 pairs stays within noise of the zero-shot cosine: `learning_curve`
shows how it moves with the number of training pairs.

`save_cross_encoder` and `load_cross_encoder` keep a trained model for deployment (encoder and
tokenizer the transformers way, the head and how pairs are read beside them).

`encode_pairs` tokenises a frame's pairs (what `PairTokens` caches; a stock transformers
classifier reads the same ids), and `pair_embeddings` gives what a classifier's head reads for
each pair: the features of a linear probe on the frozen encoder.

The training loop is `recsys_helpers.train.fit` (per-batch padding, length-grouped batches,
AdamW with warmup and decay, bf16 autocast, early stopping on validation AUC).
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..data.schema import require_columns
from ..errors import ParameterError
from ..metrics import auc
from ..params import check_choice, check_float, check_int, check_int_list
from ..runtime import pick_device, set_seed
from ..train import (
    Encoded,
    FitResult,
    TrainConfig,
    _loader,
    autocast_context,
    fit,
    predict_proba,
    pretokenize,
)

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

PAIR_COLUMNS = ("history_text", "item_text")
POOLINGS = ("mean", "cls")
LOSS_WINDOW = 20  # optimiser steps averaged for train_loss_start / train_loss_end
CURVE_COLUMNS = ("train_pairs", "steps", "train_loss_start", "train_loss_end", "valid_auc",
                 "best_step", "seconds")


class PairClassifier(nn.Module):
    """A pretrained encoder with a one-logit head over its pooled token states.

    ``pooling="mean"``: the mean of the token states under the attention mask (how the
    sentence encoder was trained); ``"cls"``: the [CLS] state alone, for comparison (the stock
    head minus BERT's randomly initialised pooler). The head starts at zero, so the untrained
    model predicts 0.5 for every pair and the first steps move the head, not noise. The head
    computes in fp32 even under bfloat16 autocast: a logit rounded to bf16's 8 bits would tie
    many pairs' scores, and a ranking of ties is decided by their order, not by the model.
    ``base_model`` is the encoder: `recsys_helpers.train` gives everything else (the head) its
    own learning rate. BERT's pooler, which neither pooling reads, is dropped from the encoder,
    so that it is not counted (or frozen, or saved) as part of the model.
    """

    def __init__(self, encoder: PreTrainedModel, pooling: str = "mean",
                 dropout: float = 0.1) -> None:
        super().__init__()
        check_choice("pooling", pooling, POOLINGS)
        check_float("dropout", dropout, low=0.0, high=0.9)
        if getattr(encoder, "pooler", None) is not None:
            encoder.pooler = None
        self.encoder = encoder
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.config.hidden_size, 1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    @property
    def base_model(self) -> PreTrainedModel:
        return self.encoder

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor | None = None, **_: Any) -> Any:
        from transformers.modeling_outputs import SequenceClassifierOutput

        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state
        pooled = pool_states(states.float(), attention_mask, self.pooling)
        with torch.autocast(pooled.device.type, enabled=False):
            logits = self.head(self.dropout(pooled))
        return SequenceClassifierOutput(logits=logits)


def pool_states(states: torch.Tensor, attention_mask: torch.Tensor,
                pooling: str = "mean") -> torch.Tensor:
    """(batch, tokens, hidden) -> (batch, hidden): the masked mean of the token states, or the
    first ([CLS]) state. Padding never counts, so a pair's vector does not depend on the batch
    it is padded in."""
    check_choice("pooling", pooling, POOLINGS)
    if pooling == "cls":
        return states[:, 0]
    mask = attention_mask.unsqueeze(-1).to(states.dtype)
    return (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)


def encode_pairs(tokenizer: PreTrainedTokenizerBase, frame: pd.DataFrame,
                 max_length: int = 96) -> Encoded:
    """Token ids of each (history_text, item_text) pair, truncated to `max_length`, unpadded.

    Truncation takes tokens from the longer text first, so a long history is cut before the
    item's own description.
    """
    require_columns(frame, PAIR_COLUMNS, "click examples")
    return pretokenize(tokenizer, frame["history_text"].tolist(), frame["item_text"].tolist(),
                       max_length=max_length)


def pair_embeddings(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase,
                    frame: pd.DataFrame, max_length: int = 96, batch_size: int = 64,
                    device: str = "auto", pooling: str = "pooler",
                    precision: str = "fp32") -> np.ndarray:
    """What a sequence classifier's head reads for each pair of ``[CLS] history [SEP] item
    [SEP]``, as a float64 array (n, hidden): ``pooling="pooler"``, the pooled [CLS] vector of
    the stock head (the base model's ``pooler_output``, or the [CLS] hidden state for models
    without a pooler); ``"mean"``, the masked mean of the token states that `PairClassifier`
    reads. ``precision="bf16"`` encodes under bfloat16 autocast (the pooling itself is in
    fp32)."""
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


class PairTokens:
    """Token ids of (history_text, item_text) pairs, tokenised once per distinct frame.

    A learning curve trains on nested subsets of one training frame and every run is
    validated on the same frame: tokenising the largest frame once and taking subsets
    (`Encoded.subset`) costs one tokenisation instead of one per run.
    """

    def __init__(self, tokenizer: PreTrainedTokenizerBase, max_length: int = 48) -> None:
        check_int("max_length", max_length, low=4)
        self.tokenizer, self.max_length = tokenizer, max_length
        self._cache: dict[int, tuple[pd.DataFrame, Encoded]] = {}

    def __call__(self, frame: pd.DataFrame) -> Encoded:
        require_columns(frame, PAIR_COLUMNS, "click pairs")
        hit = self._cache.get(id(frame))
        if hit is not None and hit[0] is frame:
            return hit[1]
        encoded = encode_pairs(self.tokenizer, frame, self.max_length)
        self._cache[id(frame)] = (frame, encoded)
        return encoded


@dataclass
class CrossEncoder:
    """A fine-tuned click cross-encoder: the model, how it reads pairs, and how training went.
    """

    model: PairClassifier
    tokens: PairTokens
    fit_result: FitResult | None = None
    device: str = "cpu"
    precision: str = "fp32"  # of `predict`: "bf16" scores under bfloat16 autocast
    loss_window: int = field(default=LOSS_WINDOW, repr=False)

    @property
    def loss_curve(self) -> np.ndarray:
        """The training loss of every optimiser step (empty before training)."""
        return np.zeros(0) if self.fit_result is None else self.fit_result.step_losses

    @property
    def train_loss_start(self) -> float:
        """Mean training loss of the first `loss_window` steps (ln 2 = 0.693 is a coin toss)."""
        curve = self.loss_curve
        return float(curve[:self.loss_window].mean()) if len(curve) else float("nan")

    @property
    def train_loss_end(self) -> float:
        """Mean training loss of the last `loss_window` steps."""
        curve = self.loss_curve
        return float(curve[-self.loss_window:].mean()) if len(curve) else float("nan")

    def predict(self, frame: pd.DataFrame, batch_size: int = 128) -> np.ndarray:
        """Click probability of each (history_text, item_text) row of `frame`, in order."""
        return predict_proba(self.model, self.tokens(frame), batch_size=batch_size,
                             device=self.device, precision=self.precision)


def cpu_recipe(seed: int = 0, precision: str = "bf16", device: str = "auto") -> TrainConfig:
    """The training settings of the CPU-budget recipe: about a minute of a 2-core CPU on 400
    balanced training pairs of at most 48 tokens.

    Five epochs of batches of 16 (125 optimiser steps: more, smaller updates for the same
    tokens), the encoder at lr 1.5e-4 and the new head at 3e-3 (it starts from zero), 10%
    warmup, validation once an epoch with the best weights kept, no early stop (the validation
    AUC of a weak click signal is noisy, and a stop after two noisy epochs ends training before
    the loss has moved). Pass ``precision="fp32"`` on a CPU without bfloat16 instructions.
    """
    return TrainConfig(epochs=5, batch_size=16, lr=1.5e-4, head_lr=3e-3, warmup_ratio=0.1,
                       weight_decay=0.01, patience=None, eval_every_steps=None, metric="auc",
                       group_by_length=True, precision=precision, seed=seed, device=device)


def build_pair_classifier(model: str | PreTrainedModel = "minilm", pooling: str = "mean",
                          dropout: float = 0.1, seed: int = 0, device: str = "auto",
                          pretrained: bool = True) -> PairClassifier:
    """A `PairClassifier` over a pretrained encoder: a model name or folder (loaded with
    transformers' AutoModel), or a transformers encoder that is deep-copied (the original,
    say a bi-encoder's tower, is left untouched). ``pretrained=False`` (with a name) builds
    the same architecture from the model's config with freshly drawn weights (seeded): the
    control that says what pretraining is worth."""
    from transformers import AutoModel

    from .pretrained import load_base_model, load_config, quiet_transformers

    check_int("seed", seed, low=0)
    if not isinstance(pretrained, bool):
        raise ParameterError(f"pretrained must be True or False, got {pretrained!r}")
    target = pick_device(device)
    if isinstance(model, str) and not pretrained:
        set_seed(seed)
        with quiet_transformers():
            encoder = AutoModel.from_config(load_config(model)).to(target)
    elif not pretrained:
        raise ParameterError("pretrained=False needs a model name, whose config is read")
    elif isinstance(model, str):
        encoder = load_base_model(model, device=target)
    elif isinstance(model, nn.Module) and hasattr(model, "config"):
        encoder = copy.deepcopy(model)
    else:
        raise ParameterError("model must be a model name, a folder or a transformers encoder, "
                             f"got {type(model).__name__}")
    set_seed(seed)
    return PairClassifier(encoder, pooling, dropout).to(target)


def fine_tune_cross_encoder(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    model: str | PreTrainedModel = "minilm",
    config: TrainConfig | None = None,
    pooling: str = "mean",
    max_length: int = 48,
    tokens: PairTokens | None = None,
    tokenizer: PreTrainedTokenizerBase | None = None,
    progress: bool = False,
    pretrained: bool = True,
) -> CrossEncoder:
    """Fine-tune a click cross-encoder on (history_text, item_text, label) pairs.

    `config` defaults to `cpu_recipe()`; the validation pairs drive early stopping and the
    returned model holds the weights of the best validation AUC. `tokens` (a `PairTokens`)
    reuses earlier tokenisations; otherwise the tokenizer of `model` (or `tokenizer`, which an
    already built encoder needs) tokenises each frame once. ``pretrained=False`` trains the
    same architecture from random weights (see `build_pair_classifier`).
    """
    from .pretrained import load_tokenizer

    for frame, name in ((train, "training pairs"), (valid, "validation pairs")):
        require_columns(frame, (*PAIR_COLUMNS, "label"), name)
    config = cpu_recipe() if config is None else config
    if not isinstance(config, TrainConfig):
        raise ParameterError(f"config must be a TrainConfig, got {type(config).__name__}")
    if tokens is None:
        if tokenizer is None:
            if not isinstance(model, str):
                raise ParameterError("pass the tokenizer (or tokens) that belongs to the "
                                     "encoder given")
            tokenizer = load_tokenizer(model)
        tokens = PairTokens(tokenizer, max_length)
    classifier = build_pair_classifier(model, pooling, seed=config.seed, device=config.device,
                                       pretrained=pretrained)
    result = fit(classifier, tokens(train), train["label"].to_numpy(), tokens(valid),
                 valid["label"].to_numpy(), config, progress=progress)
    return CrossEncoder(classifier, tokens, result, pick_device(config.device), config.precision)


def untrained_cross_encoder(model: str | PreTrainedModel = "minilm", pooling: str = "mean",
                            max_length: int = 48, seed: int = 0, device: str = "auto",
                            tokenizer: PreTrainedTokenizerBase | None = None,
                            head_scale: float = 0.02) -> CrossEncoder:
    """The same architecture before any training, with a small random head (normal, sd
    `head_scale`, seeded) instead of the zero start, so that its scores can be ranked: the
    "untrained head" baseline, what the pretrained encoder's pooled states give by chance."""
    from .pretrained import load_tokenizer

    check_float("head_scale", head_scale, low=0.0)
    classifier = build_pair_classifier(model, pooling, seed=seed, device=device)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        weight = torch.randn(classifier.head.weight.shape, generator=generator) * head_scale
        classifier.head.weight.copy_(weight)
    if tokenizer is None:
        if not isinstance(model, str):
            raise ParameterError("pass the tokenizer that belongs to the encoder given")
        tokenizer = load_tokenizer(model)
    classifier.eval()
    return CrossEncoder(classifier, PairTokens(tokenizer, max_length), None, pick_device(device))


def learning_curve(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    sizes: Sequence[int],
    model: str | PreTrainedModel = "minilm",
    config: TrainConfig | None = None,
    pooling: str = "mean",
    max_length: int = 48,
    tokenizer: PreTrainedTokenizerBase | None = None,
    test: pd.DataFrame | None = None,
    shuffle: bool = True,
    trained: Mapping[int, CrossEncoder] | None = None,
) -> pd.DataFrame:
    """Validation AUC (and test AUC, with `test`) after fine-tuning on the first `sizes[i]`
    training pairs, one run per size with the same config and seed.

    Where fine-tuning trails a zero-shot baseline, this curve says whether more labelled pairs
    close the gap (and roughly where), or not within the sizes tried. Sizes are taken as
    nested prefixes of a seeded shuffle of `train`, so a larger run sees every pair of a
    smaller one; each frame is tokenised once. Columns: `CURVE_COLUMNS` (+ ``test_auc``).

    ``shuffle=False`` takes the prefixes of `train` as given (shuffle it once yourself, so
    that each prefix is a random sample); `trained` maps a size to a model already fine-tuned
    on that prefix under the same config (say the chapter's main run on all of `train`), which
    gives its row without training it again.
    """
    from .pretrained import load_tokenizer

    sizes = check_int_list("sizes", list(sizes), low=2)
    config = cpu_recipe() if config is None else config
    if sizes[-1] > len(train):
        raise ParameterError(f"the largest size ({sizes[-1]}) exceeds the {len(train)} "
                             "training pairs")
    if tokenizer is None:
        if not isinstance(model, str):
            raise ParameterError("pass the tokenizer that belongs to the encoder given")
        tokenizer = load_tokenizer(model)
    if not isinstance(shuffle, bool):
        raise ParameterError(f"shuffle must be True or False, got {shuffle!r}")
    trained = dict(trained or {})
    for size, fitted in trained.items():
        if size not in sizes or not isinstance(fitted, CrossEncoder) or fitted.fit_result is None:
            raise ParameterError("trained must map sizes of the curve to fine-tuned "
                                 f"CrossEncoder models; got {size!r}: {type(fitted).__name__}")
    tokens = PairTokens(tokenizer, max_length)
    shuffled = (train.sample(frac=1.0, random_state=config.seed) if shuffle
                else train).reset_index(drop=True)
    all_train = tokens(shuffled)
    rows = []
    for size in sizes:
        part = shuffled.iloc[:size]
        if part["label"].nunique() < 2:
            raise ParameterError(f"the first {size} training pairs hold one class only")
        started = time.perf_counter()
        fitted = trained.get(size)
        if fitted is None:
            classifier = build_pair_classifier(model, pooling, seed=config.seed,
                                               device=config.device)
            result = fit(classifier, all_train[:size], part["label"].to_numpy(),
                         tokens(valid), valid["label"].to_numpy(), config, progress=False)
            fitted = CrossEncoder(classifier, tokens, result, pick_device(config.device),
                                  config.precision)
        result = fitted.fit_result
        row = {"train_pairs": size, "steps": len(result.step_losses),
               "train_loss_start": fitted.train_loss_start,
               "train_loss_end": fitted.train_loss_end, "valid_auc": result.best_score,
               "best_step": result.best_step,
               "seconds": result.seconds if size in trained else time.perf_counter() - started}
        if test is not None:
            row["test_auc"] = auc(test["label"].to_numpy(), fitted.predict(test))
        rows.append(row)
        del fitted
    columns = [*CURVE_COLUMNS, *(["test_auc"] if test is not None else [])]
    return pd.DataFrame(rows, columns=columns)


HEAD_FILE = "pair_head.safetensors"
SETTINGS_FILE = "pair_head.json"


def save_cross_encoder(model: CrossEncoder, folder: str | Path) -> Path:
    """Save a cross-encoder for deployment: the encoder and tokenizer the transformers way
    (``save_pretrained``), the head's weights (safetensors) and how pairs are read (pooling,
    ``max_length``, precision) as JSON. `folder` must not exist yet; everything is written to
    a temporary folder beside it first, so a failed save leaves nothing half-written."""
    import shutil
    import tempfile

    from safetensors.torch import save_file

    if not isinstance(model, CrossEncoder):
        raise ParameterError(f"model must be a CrossEncoder, got {type(model).__name__}")
    folder = Path(folder)
    if folder.exists():
        raise ParameterError(f"{folder} exists already; choose a new folder (or delete it)")
    folder.parent.mkdir(parents=True, exist_ok=True)
    from .pretrained import quiet_transformers

    scratch = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        with quiet_transformers():  # no "writing shards" bar
            model.model.encoder.save_pretrained(scratch)
            model.tokens.tokenizer.save_pretrained(scratch)
        save_file({name: t.detach().cpu().contiguous()
                   for name, t in model.model.head.state_dict().items()}, scratch / HEAD_FILE)
        settings = {"pooling": model.model.pooling, "dropout": model.model.dropout.p,
                    "max_length": model.tokens.max_length, "precision": model.precision}
        (scratch / SETTINGS_FILE).write_text(json.dumps(settings, indent=1), encoding="utf-8")
        scratch.rename(folder)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return folder


def load_cross_encoder(folder: str | Path, device: str = "auto") -> CrossEncoder:
    """A cross-encoder saved by `save_cross_encoder`, ready to `predict` (no training
    history: that stays with the run that trained it)."""
    from safetensors.torch import load_file
    from transformers import AutoModel, AutoTokenizer

    folder = Path(folder)
    missing = [name for name in (SETTINGS_FILE, HEAD_FILE, "config.json")
               if not (folder / name).is_file()]
    if missing:
        raise ParameterError(f"{folder} is not a saved cross-encoder: missing {missing} "
                             "(save one with save_cross_encoder)")
    settings = json.loads((folder / SETTINGS_FILE).read_text(encoding="utf-8"))
    target = pick_device(device)
    from .pretrained import quiet_transformers

    with quiet_transformers():  # the pooler was dropped before saving and is dropped again
        encoder = AutoModel.from_pretrained(folder, local_files_only=True)
    classifier = PairClassifier(encoder, settings["pooling"], settings["dropout"])
    classifier.head.load_state_dict(load_file(folder / HEAD_FILE))
    classifier.to(target).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    return CrossEncoder(classifier, PairTokens(tokenizer, settings["max_length"]), None, target,
                        settings["precision"])
