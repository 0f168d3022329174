"""Bi-encoder fine-tuning step: seconds per step of cheaper variants against today's step.

Fine-tuning the two-tower model is the largest single cost of the recommendation chapters on a
CPU (120 steps of 32 (history, item) pairs take over three minutes on a 2-core Xeon), so this
script times, in one run and on the same batches of lab-shop pairs, the variants that could
make a step cheaper:

- ``baseline``: the step `BiEncoderRecommender` takes today (two forward passes, one per tower,
  every parameter trained), in the precision given;
- ``frozen_embeddings``: the word-embedding matrix (11.7M of MiniLM's 22.7M parameters) kept
  fixed, so the step computes no dense gradient for it and AdamW skips it;
- ``one_pass``: users and items in one forward pass (one padded batch of 2B texts);
- ``frozen_one_pass``: both;
- ``short``: the baseline with texts cut to ``--short-length`` tokens.

Each variant starts from the same pretrained weights, runs ``--warmup`` untimed steps, then
``--steps`` timed steps; it prints seconds per step, the speed-up over the baseline and the mean
loss of the timed steps (a variant that is faster but learns less shows it there; the
chapters' own loss curves decide). Compare the numbers of one run, not across runs.

Usage: ``python benchmarks/bi_encoder_step.py [--steps 8] [--precision fp32|bf16]``
"""

from __future__ import annotations

import argparse
import copy
import time

import numpy as np
import torch

from recsys_helpers.data import load_dataset
from recsys_helpers.data.splits import temporal_split
from recsys_helpers.models.bi_encoder import (
    history_pairs,
    in_batch_negatives_loss,
    no_duplicate_batches,
)
from recsys_helpers.models.pretrained import load_encoder
from recsys_helpers.train import autocast_context, parameter_groups, pretokenize


def run_variant(encoder, histories, items, batches, *, frozen: bool, one_pass: bool,
                max_length: int, precision: str, warmup: int) -> tuple[float, float]:
    """Seconds per timed step and the mean loss of the timed steps."""
    model = copy.deepcopy(encoder)
    model.train()
    if frozen:
        model[0].auto_model.embeddings.word_embeddings.weight.requires_grad_(False)
    optimizer = torch.optim.AdamW(parameter_groups(model, 0.01), lr=2e-4)
    tokenizer = model.tokenizer
    user_tokens = pretokenize(tokenizer, histories, max_length=max_length)
    item_tokens = pretokenize(tokenizer, items, max_length=max_length)

    def pad(examples):
        return dict(tokenizer.pad(examples, return_tensors="pt"))

    losses, started = [], 0.0
    for step, batch in enumerate(batches):
        if step == warmup:
            started = time.perf_counter()
        users = [user_tokens[i] for i in batch.tolist()]
        chosen = [item_tokens[i] for i in batch.tolist()]
        with autocast_context("cpu", precision):
            if one_pass:
                vectors = model(pad(users + chosen))["sentence_embedding"]
                user_vectors, item_vectors = vectors[:len(batch)], vectors[len(batch):]
            else:
                user_vectors = model(pad(users))["sentence_embedding"]
                item_vectors = model(pad(chosen))["sentence_embedding"]
        loss = in_batch_negatives_loss(user_vectors.float(), item_vectors.float())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if step >= warmup:
            losses.append(loss.item())
    return (time.perf_counter() - started) / (len(batches) - warmup), float(np.mean(losses))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=48)
    parser.add_argument("--short-length", type=int, default=32)
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="bf16")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.warmup < 0:
        parser.error("--steps must be >= 1 and --warmup >= 0")

    data = load_dataset("shop", seed=0, n_users=4000, n_items=1000, n_sessions=60000,
                        n_queries=0)
    train, _ = temporal_split(data.interactions, test_fraction=0.2)
    titles = data.items.set_index("item_id")["title"]
    texts = data.items.set_index("item_id")["text"]
    pairs = history_pairs(train, titles, history_len=5)
    rng = np.random.default_rng(0)
    batches = []
    for batch in no_duplicate_batches((pairs["item_id"].to_numpy(), pairs["history"].to_numpy()),
                                      args.batch_size, rng):
        batches.append(batch)
        if len(batches) == args.warmup + args.steps:
            break
    used = np.unique(np.concatenate(batches))
    position = {index: k for k, index in enumerate(used.tolist())}
    batches = [np.array([position[i] for i in b.tolist()]) for b in batches]
    histories = pairs["history"].to_numpy()[used].tolist()
    items = texts[pairs["item_id"].to_numpy()[used]].astype(str).tolist()
    encoder = load_encoder("minilm", device="cpu")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.precision}; "
          f"{args.steps} timed steps of {args.batch_size} pairs after {args.warmup} untimed")

    variants = {
        "baseline": dict(frozen=False, one_pass=False, max_length=args.max_length),
        "frozen_embeddings": dict(frozen=True, one_pass=False, max_length=args.max_length),
        "one_pass": dict(frozen=False, one_pass=True, max_length=args.max_length),
        "frozen_one_pass": dict(frozen=True, one_pass=True, max_length=args.max_length),
        f"short_{args.short_length}": dict(frozen=False, one_pass=False,
                                           max_length=args.short_length),
    }
    baseline = None
    for name, options in variants.items():
        seconds, loss = run_variant(encoder, histories, items, batches, precision=args.precision,
                                    warmup=args.warmup, **options)
        baseline = baseline or seconds
        print(f"{name:20s} {seconds:6.3f} s/step  x{baseline / seconds:4.2f}  loss {loss:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
