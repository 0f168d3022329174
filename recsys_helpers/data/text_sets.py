"""Two labelled text sets for the chapters on classifying texts with frozen sentence embeddings.

- Banking77 (PolyAI): customer-service queries in 77 intents, 10,003 train / 3,080 test.
- Financial PhraseBank v1.0 (Malo et al., 2014), sentences on which at least half of the
  annotators agreed: 4,846 financial news sentences labelled negative / neutral / positive.

Both come back as a DataFrame with columns ``text`` and ``label`` (the label name, a str).
"""

from __future__ import annotations

import json

import pandas as pd

from ..errors import DataError
from ..params import check_choice
from .download import fetch, reading
from .schema import require_columns

BANKING77_SPLITS = ("train", "test")
PHRASEBANK_LABELS = ("negative", "neutral", "positive")


def load_banking77(split: str = "train") -> pd.DataFrame:
    """Banking77 queries of one split, columns text and label (the intent name)."""
    check_choice("split", split, BANKING77_SPLITS)
    path = fetch(f"banking77/{split}")
    with reading(path, f"Banking77 {split}"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    require_columns(frame, ("text", "category"), str(path))
    return pd.DataFrame({"text": frame["text"], "label": frame["category"]})


def banking77_labels() -> list[str]:
    """The 77 intent names in the order of the official categories.json."""
    path = fetch("banking77/categories")
    with reading(path, "Banking77 categories"):
        names = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise DataError(f"{path} should hold a JSON list of intent names; check the source.")
    return names


def load_financial_phrasebank() -> pd.DataFrame:
    """Financial PhraseBank (50% agreement), columns text and label.

    The file is Latin-1 with CRLF line ends, one ``sentence@label`` per line; the label is taken
    after the last "@", so an "@" inside a sentence does no harm.
    """
    path = fetch("financial-phrasebank/50agree")
    with reading(path, "Financial PhraseBank"):
        lines = path.read_bytes().decode("latin-1").splitlines()
    texts, labels = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        sentence, at, label = line.rpartition("@")
        label = label.strip()
        if not at or label not in PHRASEBANK_LABELS:
            raise DataError(
                f"{path} line {number} does not end in '@' plus one of {list(PHRASEBANK_LABELS)}: "
                f"{line[:80]!r}. The file is damaged or of another format: restore it from the "
                "official archive (FinancialPhraseBank-v1.0/Sentences_50Agree.txt)."
            )
        texts.append(sentence.strip())
        labels.append(label)
    return pd.DataFrame({"text": texts, "label": labels})
