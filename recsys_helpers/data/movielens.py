"""MovieLens ratings with movie titles and genres, read straight from the official zip files.

Three variants share one output form (`InteractionData`, see `schema`):

- ``ml-latest-small`` (default): 100,836 ratings by 610 users on 9,742 movies, half stars;
- ``ml-100k``: 100,000 ratings, the classic benchmark;
- ``ml-1m``: 1,000,209 ratings by 6,040 users.

Items carry ``title``, ``text`` = ``"<title>. Genres: a, b"`` (just the title for movies without
genres), ``category`` = the first genre (``"unknown"`` when there is none) and ``genres``
(pipe-separated). Genres are the only description MovieLens has, so they go into the text a
language model reads.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ..errors import DataError
from ..params import check_choice
from .download import fetch, reading
from .schema import InteractionData, require_columns

VARIANTS = ("ml-latest-small", "ml-100k", "ml-1m")

# Genre flag columns of ml-100k's u.item, in file order (from the data set's README).
ML100K_GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance",
    "Sci-Fi", "Thriller", "War", "Western",
)
_RATING_COLUMNS = ["user_id", "item_id", "rating", "timestamp"]


def load_movielens(variant: str = "ml-latest-small") -> InteractionData:
    """Load one MovieLens variant as interactions plus an item table (see module docstring)."""
    check_choice("variant", variant, VARIANTS)
    path = fetch(variant)
    with reading(path, f"MovieLens {variant}"), zipfile.ZipFile(path) as archive:
        ratings, movies = _READERS[variant](archive, path)
        interactions = pd.DataFrame(
            {
                "user_id": ratings["user_id"].astype(str),
                "item_id": ratings["item_id"].astype(str),
                "rating": ratings["rating"].astype(float),
                "timestamp": ratings["timestamp"].astype("int64"),
            }
        )
    return InteractionData(variant, interactions, _items(movies))


def _items(movies: pd.DataFrame) -> pd.DataFrame:
    """Build the item table from columns item_id, title and genres (a list per movie)."""
    titles = movies["title"].fillna("").astype(str).str.strip()
    genres = movies["genres"]
    text = [
        f"{title}. Genres: {', '.join(names)}" if names else title
        for title, names in zip(titles, genres, strict=True)
    ]
    return pd.DataFrame(
        {
            "item_id": movies["item_id"].astype(str),
            "title": titles,
            "text": text,
            "category": [names[0] if names else "unknown" for names in genres],
            "genres": ["|".join(names) for names in genres],
        }
    ).reset_index(drop=True)


def _member(archive: zipfile.ZipFile, name: str, path: Path) -> bytes:
    if name not in archive.namelist():
        raise DataError(
            f"{path} has no member {name!r}; it is not the expected MovieLens archive: delete it "
            "so that it is downloaded again (or check the mirror)."
        )
    return archive.read(name)


def _read_latest_small(archive: zipfile.ZipFile, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    name = "ml-latest-small/ratings.csv"
    ratings = pd.read_csv(io.BytesIO(_member(archive, name, path)), dtype={"userId": str,
                                                                           "movieId": str})
    require_columns(ratings, ("userId", "movieId", "rating", "timestamp"), f"{path}:{name}")
    ratings = ratings.rename(columns={"userId": "user_id", "movieId": "item_id"})

    name = "ml-latest-small/movies.csv"
    movies = pd.read_csv(io.BytesIO(_member(archive, name, path)), dtype=str,
                         keep_default_na=False)
    require_columns(movies, ("movieId", "title", "genres"), f"{path}:{name}")
    movies = movies.rename(columns={"movieId": "item_id"})
    movies["genres"] = [
        [] if g in ("", "(no genres listed)") else g.split("|") for g in movies["genres"]
    ]
    return ratings, movies


def _read_100k(archive: zipfile.ZipFile, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    ratings = _read_table(_member(archive, "ml-100k/u.data", path), "\t", _RATING_COLUMNS,
                          f"{path}:ml-100k/u.data")
    fields = ["item_id", "title", "release_date", "video_release_date", "imdb_url"]
    movies = _read_table(_member(archive, "ml-100k/u.item", path), "|",
                         fields + list(ML100K_GENRES), f"{path}:ml-100k/u.item")
    flags = movies[list(ML100K_GENRES[1:])].eq("1")
    movies["genres"] = [list(flags.columns[row]) for row in flags.to_numpy()]
    return ratings, movies


def _read_1m(archive: zipfile.ZipFile, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    # The .dat files separate fields with "::", which the fast C parser cannot take as is.
    raw = _member(archive, "ml-1m/ratings.dat", path).replace(b"::", b"\t")
    ratings = _read_table(raw, "\t", _RATING_COLUMNS, f"{path}:ml-1m/ratings.dat")
    raw = _member(archive, "ml-1m/movies.dat", path).replace(b"::", b"\t")
    movies = _read_table(raw, "\t", ["item_id", "title", "genres"], f"{path}:ml-1m/movies.dat")
    movies["genres"] = [g.split("|") if g else [] for g in movies["genres"].fillna("")]
    return ratings, movies


def _read_table(raw: bytes, sep: str, names: list[str], where: str) -> pd.DataFrame:
    """Read a header-less Latin-1 table and insist on exactly len(names) fields per line."""
    frame = pd.read_csv(io.BytesIO(raw), sep=sep, header=None, dtype=str, encoding="latin-1",
                        quoting=csv.QUOTE_NONE, keep_default_na=False)
    if frame.shape[1] != len(names):
        raise DataError(
            f"{where} has {frame.shape[1]} fields per line, expected {len(names)} "
            f"({', '.join(names)}); the file is of another format: check the source."
        )
    frame.columns = names
    return frame


_READERS: dict[str, Callable[[zipfile.ZipFile, Path], tuple[pd.DataFrame, pd.DataFrame]]] = {
    "ml-latest-small": _read_latest_small,
    "ml-100k": _read_100k,
    "ml-1m": _read_1m,
}
