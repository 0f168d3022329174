"""Does the click cross-encoder train on a CPU budget? The recipe of
`recsys_helpers.models.cross_encoder` measured on the lab shop, per seed, against baselines.

For each seed: balanced training pairs (`click_pairs`: clicks of the training period, one
never-shown item each), validation and test pairs (impressions of their period plus one
never-shown item per click); the recipe fine-tuned with mean pooling; its training loss at the
start and the end (mean of 20 steps), its validation and test AUC on all pairs and against each
kind of non-click; the same for the untrained model (small random head), the zero-shot MiniLM
cosine and the TF-IDF cosine of (history, item). Optionally (``--stock``) the stock
[CLS]-and-pooler classifier under the same settings, and (``--curve``) a learning curve
(training pairs -> validation and test AUC, validated once at the end of each run).

One JSON line per result goes to stdout (and ``--out``). Timings move with the machine's load.

Usage: ``python benchmarks/cross_encoder_recipe.py --seeds 0,1,2 [--curve 50,100,200,400]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from recsys_helpers.data.click_pairs import click_pairs
from recsys_helpers.data.click_task import click_task_from_shop
from recsys_helpers.data.shop import make_lab_shop
from recsys_helpers.evaluation import auc_by_negative
from recsys_helpers.models import cross_encoder as mce
from recsys_helpers.models import zero_shot
from recsys_helpers.models.pretrained import load_classifier, load_encoder, load_tokenizer
from recsys_helpers.runtime import set_seed
from recsys_helpers.train import fit, predict_proba


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--clicks", type=int, default=200, help="training clicks (x2 pairs)")
    parser.add_argument("--n-valid", type=int, default=250, help="validation impressions")
    parser.add_argument("--n-test", type=int, default=400, help="test impressions")
    parser.add_argument("--history-len", type=int, default=3)
    parser.add_argument("--max-length", type=int, default=48)
    parser.add_argument("--precision", default="bf16")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--curve", default="", help="comma-separated training pair counts")
    parser.add_argument("--stock", action="store_true", help="also the stock [CLS] classifier")
    parser.add_argument("--only-curve", action="store_true",
                        help="skip the baselines and the recipe run (with --curve)")
    parser.add_argument("--out", default="")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    shop = make_lab_shop()
    task = click_task_from_shop(shop, max_examples=20_000, history_len=args.history_len, seed=0)
    tokenizer = load_tokenizer("minilm")
    encoder = load_encoder("minilm")
    vectorizer = TfidfVectorizer(sublinear_tf=True).fit(task.items["text"])

    def emit(record: dict) -> None:
        line = json.dumps(record, default=float)
        print(line, flush=True)
        if args.out:
            with open(args.out, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")

    for seed in [int(s) for s in args.seeds.split(",") if s.strip()]:
        train = click_pairs(task, "train", args.clicks, seed=seed)
        valid = click_pairs(task, "valid", args.n_valid, with_shown=True, seed=seed + 100)
        test = click_pairs(task, "test", args.n_test, with_shown=True, seed=seed + 200)
        config = mce.cpu_recipe(seed, precision=args.precision)
        base = {"seed": seed, "train_pairs": len(train), "valid_pairs": len(valid),
                "test_pairs": len(test)}
        if args.only_curve:
            _curve(args, task, seed, valid, test, emit, base)
            continue
        untrained = mce.untrained_cross_encoder(seed=seed, max_length=args.max_length)
        scores = {"untrained": untrained.predict,
                  "zero-shot MiniLM": lambda f: zero_shot.pair_scores(encoder, f),
                  "TF-IDF cosine": lambda f: _tfidf_cosine(vectorizer, f)}
        for name, score in scores.items():
            emit({**base, "model": name, "valid": auc_by_negative(valid, score(valid)),
                  "test": auc_by_negative(test, score(test))})
        started = time.perf_counter()
        model = mce.fine_tune_cross_encoder(train, valid, config=config,
                                            max_length=args.max_length)
        emit({**base, "model": "recipe (mean pooling)", "seconds": time.perf_counter() - started,
              "fit_seconds": model.fit_result.seconds, "steps": len(model.loss_curve),
              "train_loss_start": model.train_loss_start, "train_loss_end": model.train_loss_end,
              "best_step": model.fit_result.best_step,
              "valid_auc_per_epoch": model.fit_result.history["valid_auc"].round(4).tolist(),
              "valid": auc_by_negative(valid, model.predict(valid)),
              "test": auc_by_negative(test, model.predict(test))})
        del model
        if args.stock:
            emit({**base, **_stock(train, valid, test, tokenizer, config, args.max_length)})
        if args.curve:
            _curve(args, task, seed, valid, test, emit, base)
    return 0


def _curve(args, task, seed, valid, test, emit, base) -> None:
    """Training pairs -> AUC under the recipe, each run validated once, at its last step."""
    sizes = [int(s) for s in args.curve.split(",")]
    once = mce.cpu_recipe(seed, precision=args.precision)
    once.eval_every_steps = 10**6
    pool = click_pairs(task, "train", max(sizes) // 2, seed=seed)
    curve = mce.learning_curve(pool, valid, sizes, config=once, max_length=args.max_length,
                               test=test)
    emit({**base, "model": "learning curve", "curve": curve.to_dict("list")})


def _stock(train, valid, test, tokenizer, config, max_length) -> dict:
    """The stock classifier (BERT's pooler over [CLS], then a linear layer) under the recipe."""
    set_seed(config.seed)
    model = load_classifier("minilm", num_labels=2, device="cpu")
    encoded = {name: mce.encode_pairs(tokenizer, frame, max_length)
               for name, frame in (("train", train), ("valid", valid), ("test", test))}
    result = fit(model, encoded["train"], train["label"].to_numpy(), encoded["valid"],
                 valid["label"].to_numpy(), config, progress=False)
    losses = result.step_losses
    return {"model": "stock [CLS] + pooler", "fit_seconds": result.seconds,
            "steps": len(losses), "train_loss_start": float(losses[:20].mean()),
            "train_loss_end": float(losses[-20:].mean()),
            "valid": auc_by_negative(valid, predict_proba(model, encoded["valid"])),
            "test": auc_by_negative(test, predict_proba(model, encoded["test"]))}


def _tfidf_cosine(vectorizer: TfidfVectorizer, frame) -> np.ndarray:
    history = normalize(vectorizer.transform(frame["history_text"]))
    item = normalize(vectorizer.transform(frame["item_text"]))
    return np.asarray(history.multiply(item).sum(axis=1)).ravel()


if __name__ == "__main__":
    sys.exit(main())
