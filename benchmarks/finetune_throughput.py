"""Fine-tuning throughput: the corrected pipeline against the article's style, in one run.

Both sides fine-tune the same pretrained model (fresh copies, same seed) on the same click
pairs for the same number of epochs, and validate once per epoch as the article does:

- article style (section 5.2 with its crashing defects fixed, `recsys_helpers.article_pipeline`):
  each example is tokenised on the fly in ``__getitem__`` and padded to a fixed max_length of
  128, batches of 16, a constant learning rate;
- corrected (`recsys_helpers.cross_encoder` on `recsys_helpers.train`): tokenised once, padded
  per batch to the batch's longest pair, batches drawn among pairs of similar length, the
  article's batch size (the same number of updates), chapter 5's learning rates (1e-4, and
  2e-3 for the new head; ``--lr``, ``--head-lr``) with warmup and decay, sorted batches and
  ``torch.inference_mode`` for validation; once in full precision (fp32, as the article) and
  once with its training steps in mixed precision (bf16 autocast, `TrainConfig.precision`),
  which pays off on GPUs and on CPUs with bfloat16 instructions (and slows older CPUs down:
  see the printed device).

The data are built as in chapter 5 (`recsys_helpers.data.click_pairs`), so that one epoch on a
CPU can learn something and the two validation AUCs can be compared: the training set is
`--n-clicks` clicks of the training period, each with one never-clicked item as a non-click (a
balanced set); the validation set is
`--n-valid` examples of the validation period (on the shop: impressions, shown and not clicked,
plus one never-shown item per click; on a real data set its own sampled non-clicks). With the
default of 800 validation examples the AUC's standard error is about 0.02, so differences below
about 0.05 are noise; besides the AUC on all validation pairs it prints the AUC of clicks
against each kind of non-click.

It prints the device, examples per second of both (fine-tuning including the per-epoch
validation, and validation alone), their ratio, and both validation AUCs. The machine's other
load shows up in the timings: compare the two numbers of one run, not numbers across runs.

Usage: ``python benchmarks/finetune_throughput.py [--n-clicks 400] [--n-valid 800] [--epochs 1]``
"""

from __future__ import annotations

import argparse
import platform
import sys
import time

import numpy as np
import torch

from recsys_helpers import article_pipeline as ap
from recsys_helpers import cross_encoder as ce
from recsys_helpers.data import load_dataset
from recsys_helpers.data.click_pairs import click_pairs, sample_rows
from recsys_helpers.data.click_task import click_task_from_interactions, click_task_from_shop
from recsys_helpers.metrics import auc
from recsys_helpers.models.pretrained import load_classifier, load_tokenizer
from recsys_helpers.runtime import pick_device, set_seed
from recsys_helpers.train import TrainConfig, predict_proba


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="synthetic",
                        help="'synthetic' (the shop's impressions) or a real data set name, "
                             "e.g. ml-latest-small (set RECSYS_DATA_HOME to the data mirror)")
    parser.add_argument("--n-clicks", type=int, default=400,
                        help="training clicks (each gets one sampled non-click)")
    parser.add_argument("--n-valid", type=int, default=800,
                        help="validation examples (before the shop's sampled non-clicks)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=16,
                        help="batch size of the corrected side (16, as the article: the same "
                             "number of updates, so that only the batching differs)")
    parser.add_argument("--lr", type=float, default=1e-4,
                        help="learning rate of the corrected side (chapter 5's; the article's "
                             "side always uses its 2e-5)")
    parser.add_argument("--head-lr", type=float, default=2e-3,
                        help="learning rate of the corrected side's new head (chapter 5's)")
    parser.add_argument("--model", default="minilm")
    parser.add_argument("--history-len", type=int, default=3, help="titles in the history text")
    parser.add_argument("--article-max-length", type=int, default=128)
    parser.add_argument("--max-length", type=int, default=128,
                        help="truncation of the corrected side (128: the same texts as the "
                             "article's side)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--precisions", default="fp32,bf16",
                        help="comma-separated precisions of the corrected side's training steps")
    args = parser.parse_args(argv)
    device = pick_device(args.device)
    name = torch.cuda.get_device_name() if device == "cuda" else _cpu_name()
    print(f"device: {device} ({name}); torch {torch.__version__}, "
          f"{torch.get_num_threads()} CPU threads")

    size = 8 * (args.n_clicks + args.n_valid)
    if args.dataset == "synthetic":
        shop = load_dataset("synthetic", seed=args.seed, initial_item_share=0.3).extras["shop"]
        task = click_task_from_shop(shop, max_examples=size, history_len=args.history_len,
                                    seed=args.seed)
    else:
        task = click_task_from_interactions(load_dataset(args.dataset), negatives=4,
                                            max_positives=size // 5,
                                            history_len=args.history_len, seed=args.seed)
    # the chapters' pairs: non-clicks drawn among the items the user never clicked
    train = click_pairs(task, "train", args.n_clicks, avoid="interacted", seed=args.seed)
    if args.dataset == "synthetic":  # as chapter 5: never-shown items as non-clicks too
        valid = click_pairs(task, "valid", args.n_valid, with_shown=True, avoid="interacted",
                            seed=args.seed)
    else:
        valid = sample_rows(task.split("valid"), args.n_valid, args.seed)
        valid = valid.assign(negative=np.where(valid["label"] == 1, "", "sampled"))
    tokenizer = load_tokenizer(args.model)
    lengths = [len(e["input_ids"]) for e in ce.encode_pairs(tokenizer, train, 512)]
    print(f"data: {args.dataset}, {len(train)} training pairs "
          f"({train['label'].mean():.1%} clicks), "
          f"{len(valid)} validation pairs ({valid['label'].mean():.1%} clicks); pair length "
          f"{np.mean(lengths):.1f} tokens on average, {max(lengths)} at most; "
          f"{args.epochs} epoch(s)")

    precisions = [p.strip() for p in args.precisions.split(",") if p.strip()]
    results = {"article style": _article_side(args, device, tokenizer, train, valid)}
    for precision in precisions:
        results[f"corrected {precision}"] = _corrected_side(args, device, tokenizer, train,
                                                            valid, precision)

    article = results["article style"]
    names = list(results)
    print("\n" + f"{'':<26}" + "".join(f"{name:>17}" for name in names))
    kinds = [key for key in article if key.startswith("AUC clicks vs")]
    rows = (("train_rate", "fine-tuning examples/s", ".1f"), ("valid_rate",
            "validation examples/s", ".1f"), ("auc", "validation AUC", ".4f"),
            *((kind, kind, ".4f") for kind in kinds), ("seconds", "fine-tuning seconds", ".1f"))
    for key, label, spec in rows:
        print(f"{label:<26}" + "".join(f"{results[n][key]:>17{spec}}" for n in names))
    for name in names[1:]:
        print(f"{name} / article style: {results[name]['train_rate'] / article['train_rate']:.2f}x "
              f"fine-tuning, {results[name]['valid_rate'] / article['valid_rate']:.2f}x "
              f"validation; validation AUC {results[name]['auc']:.4f} vs "
              f"{article['auc']:.4f} ({results[name]['auc'] - article['auc']:+.4f})")
    return 0


def _article_side(args, device, tokenizer, train, valid) -> dict[str, float]:
    def dataset(frame):
        pairs = list(zip(frame["history_text"], frame["item_text"], strict=True))
        return ap.ArticleStyleDataset(list(frame["item_id"]), pairs, frame["label"].tolist(),
                                      tokenizer, max_len=args.article_max_length)

    set_seed(args.seed)
    model = load_classifier(args.model, device=device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5)
    train_set, valid_set = dataset(train), dataset(valid)
    started = time.perf_counter()
    for epoch in range(args.epochs):
        loss = ap.article_train_epoch(model, train_set, 16, optimizer, device)
        probs = ap.article_style_predict(model, valid_set, 16, device)
        print(f"article style, epoch {epoch + 1}: train loss {loss:.4f}, "
              f"validation AUC {auc(valid['label'], probs):.4f}")
    seconds = _sync(device, started)
    started = time.perf_counter()
    probs = ap.article_style_predict(model, valid_set, 16, device)
    valid_seconds = _sync(device, started)
    return _summary(args, train, valid, probs, seconds, valid_seconds)


def _summary(args, train, valid, probs, seconds, valid_seconds) -> dict[str, float]:
    by_kind = ce.auc_by_negative(valid, probs)
    return {"train_rate": args.epochs * len(train) / seconds, "seconds": seconds,
            "valid_rate": len(valid) / valid_seconds, "auc": by_kind.pop("all"),
            **{f"AUC {kind}": value for kind, value in by_kind.items()}}


def _corrected_side(args, device, tokenizer, train, valid, precision) -> dict[str, float]:
    set_seed(args.seed)
    model = load_classifier(args.model, device=device)
    config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                         head_lr=args.head_lr,
                         warmup_ratio=0.1,
                         patience=None, group_by_length=True, seed=args.seed, device=device,
                         precision=precision)
    started = time.perf_counter()
    clicks = ce.fine_tune_click_model(train, valid, model, config, max_length=args.max_length,
                                      tokenizer=tokenizer, progress=False)
    seconds = _sync(device, started)
    for row in clicks.fit_result.history.itertuples():
        print(f"corrected {precision}, epoch {row.epoch:g}: train loss {row.train_loss:.4f}, "
              f"validation AUC {row.valid_auc:.4f}")
    encoded = ce.encode_pairs(tokenizer, valid, args.max_length)
    started = time.perf_counter()
    probs = predict_proba(model, encoded, batch_size=64, device=device)
    valid_seconds = _sync(device, started)
    return _summary(args, train, valid, probs, seconds, valid_seconds)


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
