"""Product-search sets with human relevance judgements: CrowdFlower and WANDS.

A search set is three tables (`JudgedSearchSet`): the queries, the products (one text each:
title plus cleaned description), and the judgements, one row per judged (query, product) pair
with an integer ``gain`` (0 = irrelevant) that nDCG uses as it is.

- **CrowdFlower "Search Results Relevance"** (Kaggle, 2015): 261 queries and 10,158 judged
  pairs; each grade is the median of three raters on 1-4, and the gain is grade - 1. Most judged
  products are relevant, so even a random order of a query's judged products scores high: any
  ranker must be read against that floor. Descriptions carry HTML fragments (tags, entities,
  stray CSS), which `clean_html` strips. The file needs a Kaggle account, so it is never
  downloaded here: the loader reads it from the mirror or the cache, and otherwise says how to
  get it.
- **WANDS** (Wayfair, ECIR 2022, MIT): 480 queries, 42,994 products, 233,448 judgements Exact /
  Partial / Irrelevant (gains 2 / 1 / 0). The three files are tab-separated despite their
  ``.csv`` names; the two large ones are downloaded from the official repository on a machine
  with internet.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ChecksumError, DataError
from ..params import check_float, check_int
from . import download
from .download import ARCHIVE_MEMBERS, fetch, reading
from .schema import require_columns

CROWDFLOWER_KEY = "crowdflower-search/train"
CROWDFLOWER_MEMBER = "train.csv"
CROWDFLOWER_COLUMNS = ("query", "product_title", "product_description", "median_relevance")
WANDS_KEYS = ("wands/query", "wands/product", "wands/label")
WANDS_GAINS = {"Exact": 2, "Partial": 1, "Irrelevant": 0}
DESCRIPTION_CHARS = 400  # descriptions are cut here: a small encoder reads ~64 tokens anyway

_TAG = re.compile(r"<[^>]*>")
_CSS_RULE = re.compile(r"[.#]?[\w-]+\s*\{[^{}]*\}")  # ".style1 { font-size: large; }"
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class JudgedSearchSet:
    """Queries (query_id, text), products (product_id, text) and judgements (query_id,
    product_id, gain), with `max_gain` the highest possible gain."""

    name: str
    queries: pd.DataFrame
    products: pd.DataFrame
    judgements: pd.DataFrame
    max_gain: int

    def __repr__(self) -> str:
        return (f"JudgedSearchSet({self.name}: {len(self.queries):,} queries, "
                f"{len(self.products):,} products, {len(self.judgements):,} judgements, "
                f"gains 0-{self.max_gain})")


def clean_html(text: str) -> str:
    """Plain text of a product description: tags, CSS rules and entities removed, spaces
    collapsed ("<p>Soft&nbsp;cotton</p>" -> "Soft cotton")."""
    if not isinstance(text, str):
        return ""
    text = _TAG.sub(" ", text)
    text = _CSS_RULE.sub(" ", text)
    text = html.unescape(text).replace("\xa0", " ")
    return _SPACE.sub(" ", text).strip()


def product_text(title: str, description: str, limit: int = DESCRIPTION_CHARS) -> str:
    """"Title. Description" with the description cleaned and cut at `limit` characters."""
    title = _SPACE.sub(" ", str(title or "")).strip()
    description = clean_html(description)[:limit].strip()
    return f"{title}. {description}" if description else title


# --- CrowdFlower -------------------------------------------------------------------------------


def read_crowdflower(frame: pd.DataFrame, source: str = "CrowdFlower train.csv"
                     ) -> JudgedSearchSet:
    """A `JudgedSearchSet` from a frame in the format of CrowdFlower's train.csv."""
    require_columns(frame, CROWDFLOWER_COLUMNS, source)
    grade = pd.to_numeric(frame["median_relevance"], errors="coerce")
    if grade.isna().any() or not grade.between(1, 4).all():
        bad = frame.loc[grade.isna() | ~grade.between(1, 4), "median_relevance"].iloc[0]
        raise DataError(f"{source}: median_relevance must be a grade from 1 to 4, found {bad!r}")
    texts = [product_text(t, d) for t, d in zip(frame["product_title"].fillna(""),
                                                frame["product_description"].fillna(""),
                                                strict=True)]
    product_codes, product_texts = pd.factorize(pd.Series(texts), sort=False)
    query_codes, query_texts = pd.factorize(frame["query"].astype(str).str.strip(), sort=False)
    judgements = pd.DataFrame({"query_id": query_codes, "product_id": product_codes,
                               "gain": grade.to_numpy().astype(np.int64) - 1})
    # The same product judged twice for a query (rare): keep the mean grade, rounded.
    judgements = (judgements.groupby(["query_id", "product_id"], sort=False, as_index=False)
                  ["gain"].mean().round().astype(np.int64))
    return JudgedSearchSet(
        "crowdflower",
        pd.DataFrame({"query_id": np.arange(len(query_texts)), "text": np.asarray(query_texts)}),
        pd.DataFrame({"product_id": np.arange(len(product_texts)),
                      "text": np.asarray(product_texts)}),
        judgements, max_gain=3)


def crowdflower_archive() -> Path:
    """The verified train.csv.zip from the mirror or the cache; without either, a DataError
    that says how to get it (a Kaggle account is needed, so it is never downloaded here)."""
    remote = download.REMOTE_FILES[CROWDFLOWER_KEY]
    home = download.data_home()
    places = ([home / remote.mirror_path] if home is not None else []) + [
        download.cache_dir() / remote.mirror_path]
    if not any(place.is_file() for place in places):
        raise DataError(
            f"CrowdFlower's {remote.filename} is not here: looked at "
            f"{', '.join(str(p) for p in places)}. It needs a Kaggle account: accept the rules "
            f"of the competition at {remote.url}, then run `kaggle competitions download -c "
            f"crowdflower-search-relevance -f {remote.filename}` and put the file at "
            f"<{download.DATA_HOME_ENV}>/{remote.mirror_path} (or "
            f"<{download.CACHE_DIR_ENV}>/{remote.mirror_path}).")
    return fetch(CROWDFLOWER_KEY)


def load_crowdflower() -> JudgedSearchSet:
    """CrowdFlower search relevance: 261 queries, their judged products, gain = grade - 1."""
    path = crowdflower_archive()
    expected = ARCHIVE_MEMBERS[CROWDFLOWER_KEY][CROWDFLOWER_MEMBER]
    with reading(path, "the CrowdFlower archive"), zipfile.ZipFile(path) as archive:
        if CROWDFLOWER_MEMBER not in archive.namelist():
            raise DataError(f"{path} has no member {CROWDFLOWER_MEMBER!r}: is it the "
                            "competition's train.csv.zip?")
        data = archive.read(CROWDFLOWER_MEMBER)
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ChecksumError(f"{CROWDFLOWER_MEMBER} in {path} has sha256 {actual}, expected "
                            f"{expected}: replace the archive with the competition's file.")
    with reading(path, f"{CROWDFLOWER_MEMBER} in the CrowdFlower archive"):
        frame = pd.read_csv(io.BytesIO(data), dtype={"query": str, "product_title": str,
                                                     "product_description": str})
    return read_crowdflower(frame, f"{path}:{CROWDFLOWER_MEMBER}")


# --- WANDS ---------------------------------------------------------------------------------------


def read_wands(query_path: Path, product_path: Path, label_path: Path) -> JudgedSearchSet:
    """A `JudgedSearchSet` from WANDS' three tab-separated files."""
    tables = {}
    wanted = {query_path: ("query_id", "query"),
              product_path: ("product_id", "product_name", "product_description"),
              label_path: ("query_id", "product_id", "label")}
    for path, columns in wanted.items():
        with reading(Path(path), f"WANDS {Path(path).name}"):
            table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
        require_columns(table, columns, f"{path} (WANDS files are tab-separated)")
        tables[path] = table
    queries, products, labels = (tables[query_path], tables[product_path], tables[label_path])
    unknown = sorted(set(labels["label"]) - set(WANDS_GAINS))
    if unknown:
        raise DataError(f"{label_path}: labels must be one of {list(WANDS_GAINS)}, found "
                        f"{unknown[:3]}")
    judgements = pd.DataFrame({"query_id": labels["query_id"].astype(np.int64),
                               "product_id": labels["product_id"].astype(np.int64),
                               "gain": labels["label"].map(WANDS_GAINS).astype(np.int64)})
    texts = [product_text(n, d) for n, d in zip(products["product_name"],
                                                products["product_description"], strict=True)]
    return JudgedSearchSet(
        "wands",
        pd.DataFrame({"query_id": queries["query_id"].astype(np.int64),
                      "text": queries["query"].str.strip()}),
        pd.DataFrame({"product_id": products["product_id"].astype(np.int64), "text": texts}),
        judgements, max_gain=2)


def load_wands() -> JudgedSearchSet:
    """WANDS: queries from the mirror or the official repository, products and labels
    downloaded from the official repository (with their sha256 checked)."""
    paths = []
    for key in WANDS_KEYS:
        try:
            paths.append(fetch(key))
        except ChecksumError:
            raise
        except DataError as error:
            names = ", ".join(download.REMOTE_FILES[k].mirror_path for k in WANDS_KEYS[1:])
            raise DataError(
                f"WANDS needs {names} (42,994 products and 233,448 judgements), "
                f"which are not in the data mirror and could not be downloaded: {error} On a "
                f"machine with internet they are downloaded once into the cache; offline, put "
                f"them under <{download.DATA_HOME_ENV}>/wands/ next to query.csv.") from error
    return read_wands(*paths)


# --- splitting ------------------------------------------------------------------------------------


def split_queries(query_ids: np.ndarray | pd.Series, test_share: float = 0.5,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded split of distinct query ids into (train, test); no query is in both, so a model
    tuned on training queries is scored on queries it never saw."""
    check_float("test_share", test_share, low=0.01, high=0.99)
    check_int("seed", seed, low=0)
    ids = pd.unique(np.asarray(query_ids))
    if len(ids) < 2:
        raise DataError(f"need at least two distinct queries to split, got {len(ids)}")
    order = np.random.default_rng(seed).permutation(len(ids))
    n_test = min(len(ids) - 1, max(1, round(test_share * len(ids))))
    return ids[np.sort(order[n_test:])], ids[np.sort(order[:n_test])]
