"""The article's fine-tuning code (its section 5.2), rewritten in our words with the same shape.

It is kept for two reasons: chapter 5 runs it to show each defect as an actual exception or a
wrong output, and `benchmarks/finetune_throughput.py` uses its *style* (tokenise every example
on the fly, pad to a fixed length, small batches), with the crashing defects fixed, as the
baseline the corrected pipeline of `recsys_helpers.models.cross_encoder` is timed against. Do
not use it for anything else.

Three datasets, from "as written" to "runs":

- `ArticleDataset`: as written. D1: ``__getitem__`` reads the module-level name ``tokenizer``,
  not ``self.tokenizer``. D2: ``encode(...)[0]`` keeps only the first token id of each text
  ([CLS]), so every example becomes the same ids.
- `UnpaddedPairDataset`: D1 and D2 fixed (the pair is encoded whole, with its own tokenizer),
  but, as in the article, nothing pads (D3), so a batch of different lengths cannot be stacked.
- `ArticleStyleDataset`: pads every example to ``max_len`` inside ``__getitem__`` (what the
  article's prose says its code does). It runs; it is the benchmark's baseline.

And the loops: `article_train_epoch` (as written, it works once the data does) and
`article_evaluate` (as written: ``argmax(dim=2)`` on 2-D logits, D4, and token-wise nested lists
for ``classification_report``, D5). `article_style_predict` is the minimal working evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from sklearn.metrics import classification_report
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

# The defects of section 5.2, in the order chapter 5 demonstrates them.
DEFECTS: tuple[dict[str, str], ...] = (
    {"id": "D1", "where": "RecommendationDataset.__getitem__",
     "article": "calls the global `tokenizer` instead of `self.tokenizer`",
     "symptom": "NameError outside the article's script; elsewhere the tokenizer passed in is "
                "silently ignored",
     "fix": "self.tokenizer"},
    {"id": "D2", "where": "RecommendationDataset.__getitem__",
     "article": "`tokenizer.encode(feature, ...)[0]`",
     "symptom": "keeps only [CLS] of each text: every example becomes the same ids",
     "fix": "encode the (history, item) pair whole"},
    {"id": "D3", "where": "RecommendationDataset / DataLoader",
     "article": "no padding and no collate function (the prose claims fixed-length padding)",
     "symptom": "RuntimeError in default_collate for texts of different lengths",
     "fix": "pad each batch to its longest example (DataCollatorWithPadding)"},
    {"id": "D4", "where": "evaluate",
     "article": "`outputs.logits.argmax(dim=2)`",
     "symptom": "IndexError: logits of sequence classification are 2-D",
     "fix": "probabilities softmax(logits)[:, 1]; decisions by a threshold"},
    {"id": "D5", "where": "evaluate",
     "article": "token-wise nested lists (copied from a tagging task) into classification_report",
     "symptom": "TypeError on int labels; ValueError or a wrong multilabel report on lists",
     "fix": "flat 0/1 arrays"},
    {"id": "D6", "where": "imports",
     "article": "`from transformers import AdamW`",
     "symptom": "ImportError in current transformers (deprecated for years, removed in 2025)",
     "fix": "torch.optim.AdamW"},
    {"id": "D7", "where": "evaluation as a whole",
     "article": "argmax accuracy only, no ranking metric",
     "symptom": "a model that ranks nothing scores the majority share of non-clicks",
     "fix": "AUC, log loss and NDCG@k on ranked candidates"},
    {"id": "D8", "where": "training loop",
     "article": "fixed learning rate, no warmup, no early stopping, no best-epoch selection "
                "(all listed in its section 3.2)",
     "symptom": "the last epoch is kept whether or not it is the best",
     "fix": "recsys_helpers.train.fit"},
)


class ArticleDataset(Dataset):
    """The article's RecommendationDataset with its defects D1 and D2 kept.

    `features[i]` is a sequence of texts for example i (here: history text, item text).
    """

    def __init__(self, items: Sequence[Any], features: Sequence[Sequence[str]],
                 labels: Sequence[int], tokenizer: Any, max_len: int = 128) -> None:
        self.items = items
        self.features = features
        self.labels = labels
        self.tokenizer = tokenizer
        self.max_len = max_len

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        texts = list(self.features[index])
        # D1: `tokenizer` is looked up among the module's globals, never self.tokenizer.
        # D2: [0] keeps the first id of each encoded text, which is always [CLS].
        first_ids = [
            tokenizer.encode(text, add_special_tokens=True,  # noqa: F821 (D1, on purpose)
                             max_length=self.max_len, truncation=True)[0]
            for text in texts
        ]
        return {
            "input_ids": torch.tensor(first_ids, dtype=torch.long),
            "attention_mask": torch.tensor([1] * len(first_ids), dtype=torch.long),
            "labels": torch.tensor(self.labels[index], dtype=torch.long),
        }


class UnpaddedPairDataset(ArticleDataset):
    """D1 and D2 fixed: the whole pair, encoded with the dataset's own tokenizer. Still no
    padding (D3), so examples keep their own lengths."""

    padding: bool | str = False

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        first, second = _pair(self.features[index])
        encoded = self.tokenizer(first, second, truncation=True, max_length=self.max_len,
                                 padding=self.padding)
        example = {name: torch.tensor(ids, dtype=torch.long) for name, ids in encoded.items()}
        example["labels"] = torch.tensor(self.labels[index], dtype=torch.long)
        return example


class ArticleStyleDataset(UnpaddedPairDataset):
    """The article's design made to run: tokenised on the fly in ``__getitem__`` and padded to
    the fixed ``max_len``, as its prose describes. Every example costs ``max_len`` tokens."""

    padding = "max_length"


def article_train_epoch(model: Any, dataset: Dataset, batch_size: int, optimizer: Any,
                        device: str = "cpu", progress: bool = False) -> float:
    """One epoch as the article trains: shuffled batches, loss from the model, a plain step.

    Unlike the article we pass ``token_type_ids`` when the batch has them, so that a benchmark
    against the corrected pipeline compares batching alone, not what the model is shown.
    """
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True)
    model.train()
    total = 0.0
    for batch in tqdm(loader, desc="Training", disable=not progress):
        inputs = {name: batch[name].to(device) for name in ("input_ids", "attention_mask")}
        if "token_type_ids" in batch:
            inputs["token_type_ids"] = batch["token_type_ids"].to(device)
        labels = batch["labels"].to(device)
        model.zero_grad()
        outputs = model(**inputs, labels=labels)
        loss = outputs.loss
        total += loss.item()
        loss.backward()
        optimizer.step()
    return total / len(loader)


def article_evaluate(model: Any, dataset: Dataset, batch_size: int, device: str = "cpu",
                     argmax_dim: int = 2, progress: bool = False) -> str:
    """The article's evaluation: D4 (``argmax(dim=2)``; pass ``argmax_dim=-1`` to get past it
    and meet the next defect) and D5 (token-wise nested lists for classification_report)."""
    loader = DataLoader(dataset, batch_size=batch_size)
    model.eval()
    predictions, truths = [], []
    with torch.no_grad():
        for batch in tqdm(loader, desc="Evaluating", disable=not progress):
            outputs = model(batch["input_ids"].to(device),
                            attention_mask=batch["attention_mask"].to(device))
            batch_preds = outputs.logits.argmax(dim=argmax_dim).to("cpu").tolist()  # D4
            batch_truth = batch["labels"].to("cpu").tolist()
            for pred_tokens, label_tokens in zip(batch_preds, batch_truth, strict=True):
                predictions.append(pred_tokens[:len(label_tokens)])  # D5: labels are ints
                truths.append(label_tokens)
    report = classification_report(truths, predictions)
    print(report)
    return report


def article_style_predict(model: Any, dataset: Dataset, batch_size: int = 16,
                          device: str = "cpu", progress: bool = False) -> np.ndarray:
    """Click probabilities softmax(logits)[:, 1] in dataset order, with the article's batching
    (fixed-length examples, its batch size, ``no_grad``)."""
    loader = DataLoader(dataset, batch_size=batch_size)
    model.eval()
    chunks = []
    with torch.no_grad():
        for batch in tqdm(loader, desc="Evaluating", disable=not progress):
            inputs = {name: tensor.to(device) for name, tensor in batch.items()
                      if name != "labels"}
            chunks.append(model(**inputs).logits.softmax(dim=-1)[:, 1].float().cpu().numpy())
    return np.concatenate(chunks) if chunks else np.zeros(0)


def _pair(texts: Sequence[str]) -> tuple[str, str | None]:
    texts = list(texts)
    if len(texts) == 1:
        return texts[0], None
    if len(texts) == 2:
        return texts[0], texts[1]
    raise ValueError(f"expected one text or a pair of texts per example, got {len(texts)}")
