"""Bi-encoder fine-tuning step: seconds per step of cheaper variants against today's step.

Fine-tuning the two-tower model is the largest single cost of the recommendation chapters on a
CPU (120 steps of 32 (history, item) pairs take over three minutes on a 2-core Xeon), so this
script times, in one run, `BiEncoderRecommender`'s own training loop on chapter 5b's lab shop
in the variants that could make a step cheaper:

- ``baseline``: the step the chapters take today, in the precision given;
- ``frozen_embeddings``: the same, with the word-embedding matrix (11.7M of MiniLM's 22.7M
  parameters) kept fixed, so the step computes no dense gradient for it and AdamW skips it
  (the recommender is given an encoder whose embeddings do not require gradients);
- ``short``: texts cut to ``--short-length`` tokens instead of ``--max-length``;
- ``frozen_short``: both.

Every variant trains from the same pretrained weights on the same seeded batches for
``--steps`` steps. It prints seconds per step (the loop's own timer, tokenising the histories
included), the speed-up over the baseline and the mean training loss (a variant that is faster
but learns less shows it there; the chapters' own loss curves decide). Compare the numbers of
one run, not across runs.

Usage: ``python benchmarks/bi_encoder_step.py [--steps 10] [--precision fp32|bf16]``
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from recsys_helpers.data import load_dataset
from recsys_helpers.data.splits import temporal_split
from recsys_helpers.models.bi_encoder import BiEncoderRecommender
from recsys_helpers.models.pretrained import load_encoder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=48)
    parser.add_argument("--short-length", type=int, default=32)
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="bf16")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error("--steps must be >= 1")

    data = load_dataset("shop", seed=0, n_users=4000, n_items=1000, n_sessions=60000,
                        n_queries=0)
    train, _ = temporal_split(data.interactions, test_fraction=0.2)
    items = data.items.reset_index(drop=True)
    pretrained = load_encoder("minilm", device="cpu")
    frozen = load_encoder("minilm", device="cpu")
    frozen[0].auto_model.embeddings.word_embeddings.weight.requires_grad_(False)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.precision}; "
          f"{args.steps} steps of {args.batch_size} pairs each")

    variants = {
        "baseline": (pretrained, args.max_length),
        "frozen_embeddings": (frozen, args.max_length),
        f"short_{args.short_length}": (pretrained, args.short_length),
        f"frozen_short_{args.short_length}": (frozen, args.short_length),
    }
    baseline = None
    for name, (encoder, max_length) in variants.items():
        fitted = BiEncoderRecommender(encoder, epochs=1, max_steps=args.steps,
                                      batch_size=args.batch_size, lr=2e-4, history_len=5,
                                      max_length=max_length, device="cpu",
                                      precision=args.precision).fit(train, items)
        seconds = fitted.train_seconds / fitted.steps
        baseline = baseline or seconds
        print(f"{name:24s} {seconds:6.3f} s/step  x{baseline / seconds:4.2f}  "
              f"mean loss {np.mean(fitted.loss_history):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
