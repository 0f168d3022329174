"""Amazon product reviews (2018 and 2023 releases) as interactions plus item texts.

Both loaders return an `InteractionData` (see `schema`) built by the same rules:

- interactions: one row per review (duplicates kept, as in the source), ``rating`` = stars,
  ``timestamp`` in Unix seconds;
- items: exactly the items that were reviewed, metadata deduplicated on the item id (the first
  record wins). ``title`` is the metadata title, ``text`` = title, brand (2018) or store (2023),
  features (2023) and description, HTML removed, joined with ". "; ``category`` is the last
  (most specific) readable entry of the category list, else the main category, else
  ``"unknown"``; extra columns ``brand`` and ``price`` (float, NaN when absent).
- Items without a metadata record keep their id as title and text and category ``"unknown"``.
  Review text is deliberately not used in their place: it would leak the held-out reviews of
  an evaluation into the item texts. Their number is in ``extras["items_without_metadata"]``.
- ``extras["reviews"]``: user_id, item_id, rating, timestamp, summary, text, for chapters that
  work with the review texts themselves.

The 2023 release keys items by ``parent_asin`` (all colours and sizes of one product), which is
what its metadata uses, so that is the item id.
"""

from __future__ import annotations

import gzip
import html
import json
import math
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ..errors import DataError, ParameterError
from .download import RemoteFile, fetch, reading, register
from .schema import InteractionData, require_columns

_CATEGORY_NAME = re.compile(r"[A-Za-z0-9_]+")
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_MAX_CATEGORY_CHARS = 60  # longer "categories" in the 2018 files are scraped page junk

_URLS = {
    "2018": (
        "https://jmcauley.ucsd.edu/data/amazon_v2/categoryFilesSmall/{c}_5.json.gz",
        "https://jmcauley.ucsd.edu/data/amazon_v2/metaFiles2/meta_{c}.json.gz",
        "amazon-2018/{c}_5.json.gz",
        "amazon-2018/meta_{c}.json.gz",
    ),
    "2023": (
        "https://datarepo.eng.ucsd.edu/mcauley_group/data/amazon_2023/raw/review_categories/"
        "{c}.jsonl.gz",
        "https://datarepo.eng.ucsd.edu/mcauley_group/data/amazon_2023/raw/meta_categories/"
        "meta_{c}.jsonl.gz",
        "amazon-2023/{c}.jsonl.gz",
        "amazon-2023/meta_{c}.jsonl.gz",
    ),
}


def amazon_files(edition: str, category: str) -> tuple[str, str]:
    """Register the review and metadata files of one category; return their download keys.

    The category is the file-name spelling of the release (``Gift_Cards``,
    ``Musical_Instruments``, ``All_Beauty``...); a misspelt one fails at download with HTTP 404.
    """
    if edition not in _URLS:
        raise ParameterError(f"edition must be one of {sorted(_URLS)}, got {edition!r}")
    if not isinstance(category, str) or not _CATEGORY_NAME.fullmatch(category):
        raise ParameterError(
            f"Amazon category must be a file-name spelling such as 'Gift_Cards' (letters, digits, "
            f"underscores), got {category!r}"
        )
    review_url, meta_url, review_path, meta_path = (s.format(c=category) for s in _URLS[edition])
    keys = []
    for kind, url, mirror_path in (("reviews", review_url, review_path),
                                   ("meta", meta_url, meta_path)):
        remote = RemoteFile(f"amazon{edition}/{category}/{kind}", url, Path(mirror_path).name,
                            None, mirror_path)
        keys.append(register(remote).key)
    return keys[0], keys[1]


def load_amazon2018(category: str = "Gift_Cards") -> InteractionData:
    """Load a 5-core category of Amazon Review Data (2018) (see module docstring)."""
    reviews_key, meta_key = amazon_files("2018", category)
    reviews_path, meta_path = fetch(reviews_key), fetch(meta_key)
    reviews = _read_jsonl(
        reviews_path,
        ("reviewerID", "asin", "overall", "unixReviewTime", "summary", "reviewText"),
        required=("reviewerID", "asin", "overall", "unixReviewTime"),
    ).rename(columns={"reviewerID": "user_id", "asin": "item_id", "overall": "rating",
                      "unixReviewTime": "timestamp", "reviewText": "text"})
    meta = _read_jsonl(
        meta_path,
        ("asin", "title", "brand", "description", "category", "main_cat", "price"),
        required=("asin", "title"),
    )
    with reading(reviews_path, "Amazon 2018 reviews"):
        reviews = _tidy_reviews(reviews, milliseconds=False)
    items = _item_table(
        reviews["item_id"],
        item_ids=meta["asin"],
        titles=meta["title"],
        text_parts=[("Brand", meta["brand"]), ("", meta["description"])],
        categories=meta["category"],
        main_categories=meta["main_cat"],
        brands=meta["brand"],
        prices=meta["price"],
    )
    return _assemble(f"amazon2018:{category}", reviews, items)


def load_amazon2023(category: str) -> InteractionData:
    """Load a category of Amazon Reviews 2023 (timestamps converted from ms to seconds)."""
    reviews_key, meta_key = amazon_files("2023", category)
    reviews_path, meta_path = fetch(reviews_key), fetch(meta_key)
    reviews = _read_jsonl(
        reviews_path,
        ("user_id", "parent_asin", "rating", "timestamp", "title", "text"),
        required=("user_id", "parent_asin", "rating", "timestamp"),
    ).rename(columns={"parent_asin": "item_id", "title": "summary"})
    meta = _read_jsonl(
        meta_path,
        ("parent_asin", "title", "store", "features", "description", "categories",
         "main_category", "price"),
        required=("parent_asin", "title"),
    )
    with reading(reviews_path, "Amazon 2023 reviews"):
        reviews = _tidy_reviews(reviews, milliseconds=True)
    items = _item_table(
        reviews["item_id"],
        item_ids=meta["parent_asin"],
        titles=meta["title"],
        text_parts=[("Store", meta["store"]), ("", meta["features"]),
                    ("", meta["description"])],
        categories=meta["categories"],
        main_categories=meta["main_category"],
        brands=meta["store"],
        prices=meta["price"],
    )
    return _assemble(f"amazon2023:{category}", reviews, items)


def _read_jsonl(path: Path, fields: tuple[str, ...], required: tuple[str, ...]) -> pd.DataFrame:
    """Read a gzipped file of one JSON object per line, keeping `fields` (absent ones: None)."""
    records = []
    with reading(path, "Amazon review data"), gzip.open(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(
                    f"{path} line {number} is not valid JSON ({exc}); the file is truncated or "
                    "corrupt: delete it so that it is downloaded again (or check the mirror)."
                ) from exc
            if not isinstance(record, dict):
                raise DataError(f"{path} line {number} is not a JSON object; check the source.")
            records.append({k: record[k] for k in fields if k in record})
    frame = pd.DataFrame.from_records(records)
    require_columns(frame, required, str(path))
    for name in fields:
        if name not in frame.columns:
            frame[name] = None
    return frame


def _tidy_reviews(reviews: pd.DataFrame, milliseconds: bool) -> pd.DataFrame:
    timestamp = reviews["timestamp"].astype("int64")
    return pd.DataFrame(
        {
            "user_id": reviews["user_id"].astype(str),
            "item_id": reviews["item_id"].astype(str),
            "rating": reviews["rating"].astype(float),
            "timestamp": timestamp // 1000 if milliseconds else timestamp,
            "summary": [_clean(v) for v in reviews["summary"]],
            "text": [_clean(v) for v in reviews["text"]],
        }
    )


def _item_table(
    reviewed: pd.Series,
    *,
    item_ids: pd.Series,
    titles: pd.Series,
    text_parts: list[tuple[str, pd.Series]],
    categories: pd.Series,
    main_categories: pd.Series,
    brands: pd.Series,
    prices: pd.Series,
) -> tuple[pd.DataFrame, int]:
    """One row per reviewed item (module docstring rules), and how many lacked metadata."""
    first = ~item_ids.astype(str).duplicated()
    position = {item: i for i, item in zip(first[first].index, item_ids[first].astype(str),
                                           strict=True)}
    rows, missing = [], 0
    for item in reviewed.drop_duplicates():
        i = position.get(item)
        if i is None:
            rows.append((item, item, item, "unknown", "", math.nan))
            missing += 1
            continue
        title = _clean(titles[i]) or item
        parts = [title]
        for label, column in text_parts:
            value = _clean(column[i])
            if value:
                parts.append(f"{label}: {value}" if label else value)
        category = _pick_category(categories[i], main_categories[i])
        rows.append((item, title, ". ".join(parts), category, _clean(brands[i]),
                     _price(prices[i])))
    columns = ["item_id", "title", "text", "category", "brand", "price"]
    return pd.DataFrame(rows, columns=columns), missing


def _assemble(name: str, reviews: pd.DataFrame, table: tuple[pd.DataFrame, int]) -> InteractionData:
    items, missing_meta = table
    interactions = reviews[["user_id", "item_id", "rating", "timestamp"]].copy()
    extras = {"reviews": reviews.reset_index(drop=True), "items_without_metadata": missing_meta}
    return InteractionData(name, interactions.reset_index(drop=True), items, extras)


def _clean(value: object) -> str:
    """Plain text from a str, a list of str or a missing value: no HTML, single spaces."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, Iterable) and not isinstance(value, str):
        return " ".join(part for part in (_clean(v) for v in value) if part)
    text = html.unescape(_TAG.sub(" ", str(value)))
    return _SPACE.sub(" ", text).strip()


def _pick_category(categories: object, main_category: object) -> str:
    entries = list(categories) if isinstance(categories, list) else []
    for raw in [*reversed(entries), main_category]:
        name = _clean(raw)
        if name and len(name) <= _MAX_CATEGORY_CHARS:
            return name
    return "unknown"


def _price(value: object) -> float:
    """A float from 12.5, "$12.50" or "$1,250.00 - $2,000.00" (the lower bound); else NaN."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    match = _NUMBER.search(value) if isinstance(value, str) else None
    return float(match.group().replace(",", "")) if match else math.nan
