"""Catalogue encoding with the bi-encoder: items per second, against two baselines in one run.

A two-tower recommender encodes its whole catalogue once after training (and again after each
retraining), so the speed of that pass decides how often a catalogue can be refreshed. Three
ways to encode the same lab-shop item texts with the same MiniLM weights, timed in one run:

- one at a time: each text alone through the model, padded to ``--max-length`` (what a loop
  over items in a notebook does);
- sentence-transformers: ``SentenceTransformer.encode`` in batches of ``--batch-size`` (the
  library's own batching: it sorts texts by length too);
- the bi-encoder (`BiEncoderRecommender.encode`): tokenised once, batched longest first so each
  batch pads only to its own longest text, under ``torch.inference_mode``;
- the same under bfloat16 autocast (fast on CPUs with bfloat16 instructions), checked against the
  fp32 vectors: the largest difference and how many items keep their top-10 neighbours.

It prints items per second of each, the ratios against the one-at-a-time baseline, and the
largest difference between the bi-encoder's vectors and sentence-transformers' (they must agree:
the same model, only the batching differs). The machine's other load shows up in the timings:
compare the numbers of one run, not numbers across runs.

Usage: ``python benchmarks/catalogue_encoding.py [--n-items 1000] [--baseline-items 200]``
"""

from __future__ import annotations

import argparse
import platform
import sys
import time

import numpy as np
import torch

from recsys_helpers.data import load_dataset
from recsys_helpers.models.bi_encoder import BiEncoderRecommender
from recsys_helpers.runtime import pick_device
from recsys_helpers.train import autocast_context


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-items", type=int, default=1000, help="lab shop catalogue size")
    parser.add_argument("--baseline-items", type=int, default=200,
                        help="items the slow one-at-a-time baseline encodes")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)

    data = load_dataset("shop", seed=0, n_users=200, n_items=args.n_items, n_sessions=2000,
                        n_queries=0)
    texts = data.items["text"].astype(str).tolist()
    model = BiEncoderRecommender(epochs=0, max_length=args.max_length,
                                 encode_batch_size=args.batch_size, device=args.device)
    model.fit(data.interactions, data.items)  # loads the encoder, encodes the catalogue once
    encoder, target = model.encoder, pick_device(args.device)
    print(f"{platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, device {target}; {len(texts)} item texts")

    sample = texts[:args.baseline_items]
    started = time.perf_counter()
    with torch.inference_mode():
        for text in sample:
            tokens = encoder.tokenizer([text], padding="max_length", truncation=True,
                                       max_length=args.max_length, return_tensors="pt")
            encoder({name: t.to(target) for name, t in tokens.items()})
    one_at_a_time = len(sample) / (time.perf_counter() - started)

    encoder.max_seq_length = args.max_length
    started = time.perf_counter()
    library = encoder.encode(texts, batch_size=args.batch_size, normalize_embeddings=True,
                             convert_to_numpy=True)
    library_rate = len(texts) / (time.perf_counter() - started)

    started = time.perf_counter()
    ours = model.encode(texts)
    our_rate = len(texts) / (time.perf_counter() - started)

    started = time.perf_counter()
    with autocast_context(target, "bf16"):
        half = model.encode(texts)
    half_rate = len(texts) / (time.perf_counter() - started)
    k = min(10, len(texts) - 1)
    neighbours = [np.argsort(-(v @ v.T), axis=1, kind="stable")[:, 1:k + 1] for v in (ours, half)]
    kept = np.mean([len(set(a) & set(b)) / k for a, b in zip(*neighbours, strict=True)])

    print(f"one at a time, padded to {args.max_length}: {one_at_a_time:8.1f} items/s "
          f"(on {len(sample)} items)")
    print(f"sentence-transformers encode:  {library_rate:8.1f} items/s "
          f"({library_rate / one_at_a_time:.1f}x one at a time)")
    print(f"bi-encoder encode:             {our_rate:8.1f} items/s "
          f"({our_rate / one_at_a_time:.1f}x one at a time, "
          f"{our_rate / library_rate:.2f}x sentence-transformers)")
    print(f"bi-encoder encode, bf16:       {half_rate:8.1f} items/s "
          f"({half_rate / one_at_a_time:.1f}x one at a time, "
          f"{half_rate / our_rate:.2f}x the fp32 bi-encoder); largest difference to fp32 "
          f"{float(np.abs(half - ours).max()):.2e}, top-{k} neighbours kept {kept:.3f}")
    print(f"largest difference between the two batched encodings: "
          f"{float(np.abs(ours - library).max()):.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
