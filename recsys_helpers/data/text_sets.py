"""Two labelled text sets for the chapters on classifying texts with frozen sentence embeddings.

- Banking77 (PolyAI): customer-service queries in 77 intents, 10,003 train / 3,080 test.
- Financial PhraseBank v1.0 (Malo et al., 2014), sentences on which at least half of the
  annotators agreed: 4,846 financial news sentences labelled negative / neutral / positive.

Both come back as a DataFrame with columns ``text`` and ``label`` (the label name, a str).
`load_intents` gives the train and test parts of an intent data set by name: ``"banking77"``, or
a reader's own pair of CSV files ``"csv:<train.csv>,<test.csv>"`` with columns text and label.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..errors import DataError, UnknownNameError
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


INTENT_DATASETS = ("banking77", "csv:<train.csv>,<test.csv>")


def load_intents(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test parts (columns text, label) of the intent data set `name`.

    ``"banking77"``, or ``"csv:<train.csv>,<test.csv>"``: two UTF-8 CSV files with a header
    holding the columns ``text`` and ``label`` (others are ignored), paths relative to the
    working directory or absolute. Every test label must occur in the training file, since a
    classifier cannot predict an intent it has never seen.
    """
    if name == "banking77":
        return load_banking77("train"), load_banking77("test")
    prefix, colon, paths = str(name).partition(":")
    if prefix != "csv" or not colon:
        raise UnknownNameError(f"unknown intent data set {name!r}; known: {list(INTENT_DATASETS)}"
                               " (e.g. 'csv:my_train.csv,my_test.csv')")
    files = [p.strip() for p in paths.split(",")]
    if len(files) != 2 or not all(files):
        raise DataError(f"{name!r}: give two files after 'csv:', separated by a comma: "
                        "'csv:<train.csv>,<test.csv>'")
    train, test = (_labelled_csv(Path(f).expanduser(), part)
                   for f, part in zip(files, ("train", "test"), strict=True))
    unseen = sorted(set(test["label"]) - set(train["label"]))
    if unseen:
        raise DataError(f"the test file {files[1]} has labels that the training file {files[0]} "
                        f"lacks: {unseen[:5]}{' ...' if len(unseen) > 5 else ''}. Add examples "
                        "of them to the training file or drop them from the test file.")
    if train["label"].nunique() < 2:
        raise DataError(f"the training file {files[0]} needs at least two labels")
    return train, test


def _labelled_csv(path: Path, part: str) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"the {part} file {path} does not exist (paths are relative to "
                        f"{Path.cwd()})")
    with reading(path, f"the {part} CSV"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    require_columns(frame, ("text", "label"), f"the {part} file {path}")
    frame = frame[["text", "label"]]
    empty = (frame["text"].str.strip() == "") | (frame["label"].str.strip() == "")
    if empty.any():
        raise DataError(f"the {part} file {path} has {int(empty.sum())} row(s) with an empty "
                        f"text or label (first: line {int(empty.idxmax()) + 2})")
    if frame.empty:
        raise DataError(f"the {part} file {path} has no rows")
    return frame.reset_index(drop=True)
