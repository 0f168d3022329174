"""Fine-tuning throughput: the corrected pipeline against the article's, in one run, with both
sides actually training.

Both sides fine-tune the same model (the click cross-encoder of
`recsys_helpers.models.cross_encoder`: pretrained MiniLM, mean pooling, a new one-logit head),
fresh copies with the same seed, on the same balanced (query, product) click pairs of the lab
shop's search log (chapters 3 and 5), with the same
optimiser (AdamW, the encoder at ``--lr``, the head at ``--head-lr``, linear warmup and decay),
the same batch size and the same number of epochs, so the same number of updates. The model and
the learning rates are what make either side train at all (the article's stock [CLS] head at a
constant 2e-5 stays at a training loss of ln 2 on a CPU budget; chapter 3 shows why); what the
two sides differ in is the pipeline the article describes against the one the book uses:

- **article's pipeline** (section 5.2, its crashing defects fixed: `recsys_helpers.
  article_pipeline.ArticleStyleDataset`): every example tokenised on the fly in
  ``__getitem__``, every epoch, and padded to a fixed 128 tokens; shuffled batches; full
  precision; validation with the same fixed-length batches under ``no_grad``;
- **corrected pipeline** (`recsys_helpers.train.fit`): pairs tokenised once and truncated at
  ``--max-length`` tokens (40, the recipe of chapters 3 and 5; the validation AUC printed
  beside it says whether anything was lost), batches drawn among pairs of similar
  length and padded to their longest pair, validation sorted by length in large batches under
  ``torch.inference_mode``; once in full precision (fp32) and once with its training steps in
  bfloat16 autocast (``bf16``), which pays off on GPUs and on CPUs with bfloat16 instructions
  (and slows older CPUs down: see the printed device).

Printed: the device, for each side its training loss at the start and the end (mean of the
first and last 20 optimiser steps: ln 2 = 0.693 is a coin toss, so both must end clearly below
it for the comparison to mean anything), examples per second of fine-tuning (per-epoch
validation included) and of validation alone, the validation AUC, and the ratios against the
article's pipeline. With the default 60 validation clicks (300 pairs) the AUC's standard error
is about 0.04: differences below about 0.08 are noise. The machine's other load shows up in the
timings: compare the numbers of one run, not numbers across runs. No test asserts them.

Usage: ``python benchmarks/finetune_throughput.py [--clicks 200] [--epochs 4]``
"""

from __future__ import annotations

import argparse
import platform
import sys
import time

import numpy as np
import torch
from torch.utils.data import DataLoader

from recsys_helpers.article_pipeline import ArticleStyleDataset
from recsys_helpers.data.click_pairs import search_click_pairs
from recsys_helpers.data.shop import make_lab_shop
from recsys_helpers.metrics import auc
from recsys_helpers.models import cross_encoder as mce
from recsys_helpers.models.pretrained import load_tokenizer
from recsys_helpers.runtime import pick_device
from recsys_helpers.train import TrainConfig, parameter_groups

ARTICLE_MAX_LENGTH = 128  # the article pads every example to this length
ARTICLE_BATCH_SIZE = 16


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=200,
                        help="training clicks, each with one never-shown product as a non-click")
    parser.add_argument("--n-valid", type=int, default=60,
                        help="validation clicks, each with --shown skipped results and one "
                             "never-shown product")
    parser.add_argument("--shown", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--lr", type=float, default=1.5e-4, help="the encoder's learning rate")
    parser.add_argument("--head-lr", type=float, default=3e-3, help="the new head's")
    parser.add_argument("--max-length", type=int, default=40,
                        help="truncation of the corrected side (the article's side pads and "
                             f"truncates at {ARTICLE_MAX_LENGTH})")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--precisions", default="fp32,bf16",
                        help="comma-separated precisions of the corrected side's training steps")
    args = parser.parse_args(argv)
    device = pick_device(args.device)
    name = torch.cuda.get_device_name() if device == "cuda" else _cpu_name()
    print(f"device: {device} ({name}); torch {torch.__version__}, "
          f"{torch.get_num_threads()} CPU threads")

    shop = make_lab_shop(seed=args.seed)
    train = (search_click_pairs(shop, "train", args.clicks, seed=args.seed)
             .sample(frac=1.0, random_state=args.seed).reset_index(drop=True))
    valid = search_click_pairs(shop, "valid", args.n_valid, args.shown, seed=args.seed + 100)
    tokenizer = load_tokenizer("minilm")
    lengths = [len(ids) for ids in tokenizer(train["history_text"].tolist(),
                                             train["item_text"].tolist())["input_ids"]]
    print(f"data: lab shop (seed {args.seed}), {len(train)} training pairs "
          f"({train['label'].mean():.0%} clicks), {len(valid)} validation pairs "
          f"({valid['label'].mean():.0%} clicks); pair length {np.mean(lengths):.1f} tokens on "
          f"average, {max(lengths)} at most, {np.mean(np.array(lengths) > args.max_length):.0%} "
          f"longer than {args.max_length}; {args.epochs} epochs of batches of "
          f"{ARTICLE_BATCH_SIZE}")

    results = {"article": _article_side(args, device, tokenizer, train, valid)}
    for precision in [p.strip() for p in args.precisions.split(",") if p.strip()]:
        results[f"corrected {precision}"] = _corrected_side(args, device, tokenizer, train,
                                                            valid, precision)

    names = list(results)
    print("\n" + f"{'':<28}" + "".join(f"{n:>16}" for n in names))
    rows = (("loss_start", "training loss, first 20", ".3f"),
            ("loss_end", "training loss, last 20", ".3f"),
            ("train_rate", "fine-tuning examples/s", ".1f"),
            ("valid_rate", "validation examples/s", ".1f"),
            ("auc", "validation AUC", ".3f"),
            ("seconds", "fine-tuning seconds", ".1f"))
    for key, label, spec in rows:
        print(f"{label:<28}" + "".join(f"{results[n][key]:>16{spec}}" for n in names))
    article = results["article"]
    for name in names[1:]:
        result = results[name]
        print(f"{name} / article: {result['train_rate'] / article['train_rate']:.2f}x "
              f"fine-tuning, {result['valid_rate'] / article['valid_rate']:.2f}x validation; "
              f"validation AUC {result['auc']:.3f} vs {article['auc']:.3f} "
              f"({result['auc'] - article['auc']:+.3f})")
    untrained = [n for n in names if results[n]["loss_end"] >= 0.6]
    if untrained:
        print(f"warning: {', '.join(untrained)} ended with a training loss of 0.6 or more: "
              "a throughput ratio between models that did not train says little")
    return 0


def _config(args, device: str, precision: str) -> TrainConfig:
    return TrainConfig(epochs=args.epochs, batch_size=ARTICLE_BATCH_SIZE, lr=args.lr,
                       head_lr=args.head_lr, warmup_ratio=0.1, weight_decay=0.01,
                       patience=None, metric="auc", group_by_length=True,
                       precision=precision, seed=args.seed, device=device)


def _article_side(args, device, tokenizer, train, valid) -> dict[str, float]:
    """The article's loop around the same model and optimiser as the corrected side."""
    from transformers import get_linear_schedule_with_warmup

    def dataset(frame):
        pairs = list(zip(frame["history_text"], frame["item_text"], strict=True))
        return ArticleStyleDataset(list(frame["item_id"]), pairs, frame["label"].tolist(),
                                   tokenizer, max_len=ARTICLE_MAX_LENGTH)

    config = _config(args, device, "fp32")
    model = mce.build_pair_classifier("minilm", seed=args.seed, device=device)
    optimizer = torch.optim.AdamW(parameter_groups(model, config.weight_decay, config.lr,
                                                   config.head_lr), lr=config.lr)
    train_set, valid_set = dataset(train), dataset(valid)
    generator = torch.Generator().manual_seed(args.seed)
    loader = DataLoader(train_set, batch_size=ARTICLE_BATCH_SIZE, shuffle=True,
                        generator=generator)
    total = len(loader) * args.epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, round(0.1 * total), total)
    losses = []
    started = time.perf_counter()
    for _ in range(args.epochs):
        model.train()
        for batch in loader:
            labels = batch.pop("labels").to(device).float()
            logits = model(**{k: v.to(device) for k, v in batch.items()}).logits.squeeze(-1)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
            loss.backward()
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            losses.append(loss.item())
        probs = _article_predict(model, valid_set, device)
    seconds = _sync(device, started)
    started = time.perf_counter()
    probs = _article_predict(model, valid_set, device)
    valid_seconds = _sync(device, started)
    return _summary(args, train, valid, seconds, valid_seconds, np.asarray(losses),
                    auc(valid["label"].to_numpy(), probs))


def _article_predict(model, dataset, device) -> np.ndarray:
    model.eval()
    chunks = []
    with torch.no_grad():
        for batch in DataLoader(dataset, batch_size=ARTICLE_BATCH_SIZE):
            inputs = {k: v.to(device) for k, v in batch.items() if k != "labels"}
            chunks.append(model(**inputs).logits.squeeze(-1).sigmoid().float().cpu().numpy())
    return np.concatenate(chunks)


def _corrected_side(args, device, tokenizer, train, valid, precision) -> dict[str, float]:
    started = time.perf_counter()
    fitted = mce.fine_tune_cross_encoder(train, valid, "minilm",
                                         _config(args, device, precision),
                                         max_length=args.max_length, tokenizer=tokenizer)
    seconds = _sync(device, started)
    started = time.perf_counter()
    fitted.predict(valid)
    valid_seconds = _sync(device, started)
    # fit keeps the weights of the best epoch; the article's loop keeps its last ones, so the
    # AUC compared is the one of the last epoch's validation
    last_auc = float(fitted.fit_result.history["valid_auc"].iloc[-1])
    return _summary(args, train, valid, seconds, valid_seconds, fitted.loss_curve, last_auc)


def _summary(args, train, valid, seconds, valid_seconds, losses,
             valid_auc: float) -> dict[str, float]:
    window = mce.LOSS_WINDOW
    return {"train_rate": args.epochs * len(train) / seconds, "seconds": seconds,
            "valid_rate": len(valid) / valid_seconds,
            "auc": valid_auc,
            "loss_start": float(losses[:window].mean()),
            "loss_end": float(losses[-window:].mean())}


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _sync(device: str, started: float) -> float:
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
