"""Catalogue encoding with the bi-encoder: items per second, against two baselines in one run.

A two-tower recommender encodes its whole catalogue once after training (and again after each
retraining), so the speed of that pass decides how often a catalogue can be refreshed. Ways to
encode the same lab-shop item texts with the same MiniLM weights, timed in one run:

- one at a time: each text alone through the model, padded to ``--max-length`` (what a loop
  over items in a notebook does);
- sentence-transformers: ``SentenceTransformer.encode`` in batches of ``--batch-size`` (the
  library's own batching: it sorts texts by length too);
- the bi-encoder (`BiEncoderRecommender.encode`): tokenised once, batched longest first so each
  batch pads only to its own longest text, under ``torch.inference_mode``;
- the same under bfloat16 autocast (fast on CPUs with bfloat16 instructions);
- the same with the linear layers quantised to int8 (`torch.ao.quantization.quantize_dynamic`,
  the library's post-training recipe, deprecated in favour of torchao but still shipped);
- bf16 again with the texts cut shorter (``--cut-lengths``): a forward pass costs about the same
  per token, so once batching and precision are spent, fewer tokens are what is left to cut.

Each variant is timed over ``--repeats`` passes and the fastest counts (the others lost time to
the machine's other load); compare the numbers of one run, not numbers across runs. What a
faster variant costs is measured twice: how many items keep their top-10 neighbours of the fp32
vectors, and what the variant does as a zero-shot recommender on the lab shop (chapter 5b's
size and split: the most recent 20% of clicks are the test set): NDCG@10 on cold items, ranked
among cold items only, where the text is all a model has, and on the whole test period, with
the difference to fp32 and its 95% paired bootstrap interval over users. It also prints the
largest difference between the bi-encoder's fp32 vectors and sentence-transformers' (they must
agree: the same model, only the batching differs).

Usage: ``python benchmarks/catalogue_encoding.py [--n-items 1000] [--baseline-items 200]
[--cut-lengths 16,24,32]``
"""

from __future__ import annotations

import argparse
import copy
import math
import platform
import sys
import time
from collections.abc import Callable

import numpy as np
import torch

from recsys_helpers.data import load_dataset
from recsys_helpers.data.splits import temporal_split
from recsys_helpers.evaluation.compare import evaluate_slices, slice_differences, slice_summary
from recsys_helpers.models.baselines import top_k_indices
from recsys_helpers.models.bi_encoder import BiEncoderRecommender
from recsys_helpers.runtime import pick_device


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-items", type=int, default=1000, help="lab shop catalogue size")
    parser.add_argument("--n-users", type=int, default=4000, help="lab shop users ...")
    parser.add_argument("--n-sessions", type=int, default=60000, help="... and their visits")
    parser.add_argument("--eval-users", type=int, default=2000,
                        help="test users whose recommendations measure each variant's quality")
    parser.add_argument("--baseline-items", type=int, default=200,
                        help="items the slow one-at-a-time baseline encodes")
    parser.add_argument("--repeats", type=int, default=3,
                        help="passes timed per variant; the fastest counts")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--cut-lengths", default="16,24,32",
                        help="comma-separated shorter truncations encoded in bf16 (empty: none)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    try:
        cuts = [int(c) for c in args.cut_lengths.split(",") if c.strip()]
    except ValueError:
        parser.error(f"--cut-lengths must be comma-separated integers, got {args.cut_lengths!r}")
    if any(not 8 <= c < args.max_length for c in cuts):
        parser.error(f"each --cut-lengths value must be at least 8 and below --max-length "
                     f"({args.max_length}), got {args.cut_lengths!r}")

    data = load_dataset("shop", seed=0, n_users=args.n_users, n_items=args.n_items,
                        n_sessions=args.n_sessions, n_queries=0)
    train, test = temporal_split(data.interactions, test_fraction=0.2)
    texts = data.items["text"].astype(str).tolist()

    def zero_shot(encoder, max_length: int, precision: str = "fp32",
                  device: str = args.device) -> tuple[BiEncoderRecommender, float, np.ndarray]:
        """A zero-shot bi-encoder on `encoder`, fitted (which encodes the catalogue once: the
        warm-up), then timed on a second pass over the catalogue."""
        recommender = BiEncoderRecommender(encoder, epochs=0, max_length=max_length,
                                           precision=precision, device=device,
                                           encode_batch_size=args.batch_size)
        recommender.fit(train, data.items)
        rate, vectors = _best_rate(lambda: recommender.encode(texts), len(texts), args.repeats)
        return recommender, rate, vectors

    model = BiEncoderRecommender(epochs=0, max_length=args.max_length,
                                 encode_batch_size=args.batch_size, device=args.device)
    model.fit(train, data.items)  # loads the encoder, encodes the catalogue once
    encoder, target = model.encoder, pick_device(args.device)
    print(f"{platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, device {target}; {len(texts)} item texts")

    sample = texts[:args.baseline_items]

    def one_by_one() -> None:
        with torch.inference_mode():
            for text in sample:
                tokens = encoder.tokenizer([text], padding="max_length", truncation=True,
                                           max_length=args.max_length, return_tensors="pt")
                encoder({name: t.to(target) for name, t in tokens.items()})

    one_at_a_time, _ = _best_rate(one_by_one, len(sample), args.repeats)
    encoder.max_seq_length = args.max_length
    library_rate, library = _best_rate(
        lambda: encoder.encode(texts, batch_size=args.batch_size, normalize_embeddings=True,
                               convert_to_numpy=True), len(texts), args.repeats)
    our_rate, ours = _best_rate(lambda: model.encode(texts), len(texts), args.repeats)

    # The variants, each a zero-shot recommender of its own so that its quality can be measured.
    variants = {"fp32": (model, our_rate, ours),
                "bf16": zero_shot(encoder, args.max_length, "bf16")}
    # int8: a quantised copy of the same weights, through the same encode path (fp32 around it).
    quantised = torch.ao.quantization.quantize_dynamic(
        copy.deepcopy(encoder).cpu(), {torch.nn.Linear}, dtype=torch.qint8)
    variants["int8"] = zero_shot(quantised, args.max_length, device="cpu")
    for cut in cuts:
        variants[f"bf16, cut at {cut}"] = zero_shot(encoder, cut, "bf16")
    lengths = np.array([len(ids) for ids in model.tokenizer(
        texts, truncation=True, max_length=args.max_length)["input_ids"]])

    print(f"one at a time, padded to {args.max_length}: {one_at_a_time:8.1f} items/s "
          f"(on {len(sample)} items)")
    print(f"sentence-transformers encode:  {library_rate:8.1f} items/s "
          f"({library_rate / one_at_a_time:.1f}x one at a time)")
    print(f"bi-encoder encode:             {our_rate:8.1f} items/s "
          f"({our_rate / one_at_a_time:.1f}x one at a time, "
          f"{our_rate / library_rate:.2f}x sentence-transformers)")
    print(f"largest difference between the two batched encodings: "
          f"{float(np.abs(ours - library).max()):.2e}")
    print(f"item texts: {lengths.mean():.1f} tokens on average at --max-length {args.max_length} "
          f"({np.mean(lengths >= args.max_length):.1%} cut there)")

    # Quality: the same zero-shot recommender on the shop's most recent 20% of clicks, cold items
    # ranked among cold items only (where only the text can help) and all items.
    rng = np.random.default_rng(0)
    test_users = np.sort(test["user_id"].unique())
    users = np.sort(rng.choice(test_users, min(args.eval_users, len(test_users)), replace=False))
    recommenders = {name: variant[0] for name, variant in variants.items()}
    per_user = evaluate_slices(recommenders, train, test, data.items,
                               slices=("all", "cold_items"), users=users)
    summary = slice_summary(per_user)["mean"]
    gaps = slice_differences(per_user, baseline="fp32")
    k = min(10, len(texts) - 1)
    reference = _neighbours(ours, k)
    n_users = per_user.groupby("slice")["user"].nunique().to_dict()
    print(f"\nzero-shot bi-encoder, NDCG@10 on {n_users['cold_items']} test users' cold items "
          f"(among cold items) and on {n_users['all']} users' whole test period; differences to "
          f"fp32 with 95% paired bootstrap intervals")
    print(f"{'variant':18s} {'items/s':>8s} {'x fp32':>7s} {'top-10 kept':>11s} "
          f"{'cold items':>10s} {'- fp32 [95% CI]':>24s} {'all':>6s}")
    for name, (_, rate, vectors) in variants.items():
        cold = summary[("cold_items", name)]
        gap = ("" if name == "fp32" else
               "{difference:+.3f} [{ci_low:+.3f}, {ci_high:+.3f}]".format(
                   **gaps.loc[("cold_items", name)]))
        print(f"{name:18s} {rate:8.1f} {rate / our_rate:6.2f}x "
              f"{_kept(reference, vectors, k):11.3f} {cold:10.3f} {gap:>24s} "
              f"{summary[('all', name)]:6.3f}")
    print(f"largest difference to the fp32 vectors: bf16 "
          f"{float(np.abs(variants['bf16'][2] - ours).max()):.2e}, int8 "
          f"{float(np.abs(variants['int8'][2] - ours).max()):.2e}")
    return 0


def _best_rate(encode: Callable[[], object], n_texts: int, repeats: int) -> tuple[float, object]:
    """Items per second of the fastest of `repeats` passes (the others lost time to the machine's
    other load), and what the last pass returned."""
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        result = encode()
        best = min(best, time.perf_counter() - started)
    return n_texts / best, result


def _neighbours(vectors: np.ndarray, k: int) -> np.ndarray:
    """Each item's k nearest other items by cosine (the vectors are normalised); the item itself
    is excluded by index, so an item with a duplicate text still has k others."""
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -np.inf)
    return top_k_indices(similarity, k)


def _kept(reference: np.ndarray, vectors: np.ndarray, k: int) -> float:
    """Mean share of each item's reference top-k neighbours that `vectors` also put in its top k."""
    found = _neighbours(vectors, k)
    return float(np.mean([len(set(a) & set(b)) / k
                          for a, b in zip(reference.tolist(), found.tolist(), strict=True)]))


if __name__ == "__main__":
    sys.exit(main())
