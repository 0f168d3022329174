"""Loaders on tiny fabricated files in the real formats, and on the real mirror."""

from __future__ import annotations

import gzip
import io
import json
import zipfile

import pandas as pd
import pytest

from recsys_helpers.data import registry
from recsys_helpers.data.amazon import amazon_files, load_amazon2018, load_amazon2023
from recsys_helpers.data.movielens import ML100K_GENRES, load_movielens
from recsys_helpers.data.registry import DATASETS, load_interactions
from recsys_helpers.data.text_sets import (
    banking77_labels,
    load_banking77,
    load_financial_phrasebank,
)
from recsys_helpers.errors import DataError, ParameterError, UnknownNameError

pytestmark = pytest.mark.unit


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _gz_lines(records: list[dict]) -> bytes:
    return gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode())


def _assert_tidy(data) -> None:
    frame = data.interactions
    assert pd.api.types.is_string_dtype(frame["user_id"])
    assert pd.api.types.is_string_dtype(frame["item_id"])
    assert frame["rating"].dtype == "float64" and frame["timestamp"].dtype == "int64"
    assert set(data.items.columns) >= {"item_id", "title", "text", "category"}


# MovieLens ----------------------------------------------------------------------------------

LATEST_RATINGS = b"userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,2,3.5,964981247\n" \
    b"2,1,5.0,964982224\n"
LATEST_MOVIES = b'movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n' \
    b'2,"Heat, The (1995)",(no genres listed)\n3,Unrated (2000),Drama\n'


def _latest_small(ratings: bytes = LATEST_RATINGS, movies: bytes = LATEST_MOVIES) -> bytes:
    return _zip({"ml-latest-small/ratings.csv": ratings, "ml-latest-small/movies.csv": movies,
                 "ml-latest-small/README.txt": b"readme"})


def test_movielens_latest_small(install):
    install("ml-latest-small", _latest_small())
    data = load_movielens()
    _assert_tidy(data)
    assert (len(data.interactions), data.n_users, data.n_items) == (3, 2, 3)
    items = data.items.set_index("item_id")
    assert items.loc["1", "text"] == "Toy Story (1995). Genres: Adventure, Animation"
    assert items.loc["1", "category"] == "Adventure"
    assert items.loc["2", "text"] == "Heat, The (1995)"
    assert items.loc["2", "category"] == "unknown"
    assert data.interactions["rating"].tolist() == [4.0, 3.5, 5.0]


def _u_item(item_id: str, title: str, flags: list[str]) -> str:
    genre_flags = ["1" if name in flags else "0" for name in ML100K_GENRES]
    return "|".join([item_id, title, "01-Jan-1995", "", "http://imdb/x", *genre_flags])


def test_movielens_100k(install):
    u_data = b"1\t10\t4\t881250949\n2\t20\t3\t891717742\n2\t10\t5\t891717743\n"
    u_item = "\n".join([_u_item("10", "Café Society (1995)", ["Comedy", "Drama"]),
                        _u_item("20", "unknown", ["unknown"])]) + "\n"
    install("ml-100k", _zip({"ml-100k/u.data": u_data,
                             "ml-100k/u.item": u_item.encode("latin-1")}))
    data = load_movielens("ml-100k")
    _assert_tidy(data)
    items = data.items.set_index("item_id")
    assert items.loc["10", "text"] == "Café Society (1995). Genres: Comedy, Drama"
    assert items.loc["10", "category"] == "Comedy"
    assert items.loc["20", "category"] == "unknown"
    assert data.interactions["timestamp"].tolist() == [881250949, 891717742, 891717743]


def test_movielens_1m(install):
    ratings = b"1::10::5::978300760\n1::20::3::978302109\n"
    movies = "10::Amélie (2001)::Comedy|Romance\n20::Heat (1995)::Action\n".encode("latin-1")
    install("ml-1m", _zip({"ml-1m/ratings.dat": ratings, "ml-1m/movies.dat": movies}))
    data = load_movielens("ml-1m")
    _assert_tidy(data)
    assert data.items.set_index("item_id").loc["10", "text"] == (
        "Amélie (2001). Genres: Comedy, Romance"
    )


@pytest.mark.parametrize(
    ("archive", "message"),
    [
        (b"PK\x03\x04 this is not a zip", "BadZipFile"),
        (_latest_small()[:-40], "BadZipFile"),  # truncated: central directory cut off
        (_zip({"ml-latest-small/ratings.csv": LATEST_RATINGS}), "no member"),
        (_latest_small(ratings=b"userId,movieId,timestamp\n1,1,964982703\n"), "rating"),
        (_latest_small(ratings=b"userId,movieId,rating,timestamp\n1,1,four,9\n"), "four"),
    ],
)
def test_movielens_bad_files_are_data_errors(install, archive, message):
    path = install("ml-latest-small", archive)
    with pytest.raises(DataError, match=message) as caught:
        load_movielens()
    assert str(path) in str(caught.value)


def test_movielens_wrong_field_count(install):
    install("ml-1m", _zip({"ml-1m/ratings.dat": b"1::10::5\n", "ml-1m/movies.dat": b""}))
    with pytest.raises(DataError, match="expected 4"):
        load_movielens("ml-1m")


def test_movielens_unknown_variant():
    with pytest.raises(ParameterError, match="ml-100k"):
        load_movielens("ml-5m")


# Amazon ---------------------------------------------------------------------------------------

REVIEWS_2018 = [
    {"overall": 5.0, "reviewerID": "U1", "asin": "A1", "reviewText": "Great &amp; easy",
     "summary": "Five Stars", "unixReviewTime": 1529193600, "verified": True},
    {"overall": 3.0, "reviewerID": "U2", "asin": "A1", "summary": "ok",
     "unixReviewTime": 1528934400},
    {"overall": 4.0, "reviewerID": "U2", "asin": "A2", "reviewText": "fine", "summary": "Good",
     "unixReviewTime": 1527897600},
]
META_2018 = [
    {"asin": "A1", "title": "Cafe <b>Gift</b> Card", "brand": "Cafe",
     "description": ["<div>Use it <br/>anywhere.</div>", "No fees."],
     "category": ["Gift Cards", "Restaurants", "</span></span>"], "price": "$1,025.00",
     "main_cat": "Gift Cards"},
    {"asin": "A1", "title": "A duplicate record", "brand": "", "description": [],
     "category": [], "price": ""},
    {"asin": "A3", "title": "Never reviewed", "category": ["Gift Cards"]},
]


def _install_2018(install, reviews=REVIEWS_2018, meta=META_2018, raw_reviews=None):
    install("amazon2018/Gift_Cards/reviews",
            raw_reviews if raw_reviews is not None else _gz_lines(reviews))
    install("amazon2018/Gift_Cards/meta", _gz_lines(meta))


def test_amazon2018_items_and_reviews(install):
    _install_2018(install)
    data = load_amazon2018()
    _assert_tidy(data)
    assert data.name == "amazon2018:Gift_Cards"
    assert (len(data.interactions), data.n_users, data.n_items) == (3, 2, 2)
    items = data.items.set_index("item_id")
    assert items.loc["A1", "title"] == "Cafe Gift Card"
    assert items.loc["A1", "text"] == "Cafe Gift Card. Brand: Cafe. Use it anywhere. No fees."
    assert items.loc["A1", "category"] == "Restaurants"
    assert items.loc["A1", "price"] == 1025.0
    # A2 has no metadata: it keeps its id and gets no text from the reviews.
    assert items.loc["A2", ["title", "text", "category"]].tolist() == ["A2", "A2", "unknown"]
    assert data.extras["items_without_metadata"] == 1
    reviews = data.extras["reviews"]
    assert list(reviews.columns) == ["user_id", "item_id", "rating", "timestamp", "summary",
                                     "text"]
    assert reviews["text"].tolist() == ["Great & easy", "", "fine"]


def test_amazon2018_truncated_gzip(install):
    raw = _gz_lines(REVIEWS_2018)
    _install_2018(install, raw_reviews=raw[: len(raw) // 2])
    with pytest.raises(DataError, match="Gift_Cards_5.json.gz"):
        load_amazon2018()


def test_amazon2018_not_gzip(install):
    _install_2018(install, raw_reviews=b"<html>Service unavailable</html>")
    with pytest.raises(DataError, match="BadGzipFile"):
        load_amazon2018()


def test_amazon2018_bad_json_line(install):
    lines = json.dumps(REVIEWS_2018[0]) + "\n" + '{"overall": 5.0, "reviewerID": "U\n'
    _install_2018(install, raw_reviews=gzip.compress(lines.encode()))
    with pytest.raises(DataError, match="line 2"):
        load_amazon2018()


def test_amazon2018_missing_column(install):
    reviews = [{k: v for k, v in r.items() if k != "overall"} for r in REVIEWS_2018]
    _install_2018(install, reviews=reviews)
    with pytest.raises(DataError, match="overall"):
        load_amazon2018()


def test_amazon_category_is_checked():
    with pytest.raises(ParameterError, match="Gift_Cards"):
        load_amazon2018("../etc/passwd")


def test_amazon2023_items_and_timestamps(install):
    reviews_key, meta_key = amazon_files("2023", "All_Beauty")
    install(reviews_key, _gz_lines([
        {"rating": 5.0, "title": "Love it", "text": "Smells <br />nice", "asin": "B1V",
         "parent_asin": "B1", "user_id": "U1", "timestamp": 1588687728923},
        {"rating": 2.0, "title": "Meh", "text": "no", "asin": "B2", "parent_asin": "B2",
         "user_id": "U2", "timestamp": 1588615855070},
    ]))
    install(meta_key, _gz_lines([
        {"parent_asin": "B1", "title": "Rose Soap", "store": "Soapy", "features": ["Vegan"],
         "description": ["Hand made."], "categories": [], "main_category": "All Beauty",
         "price": None},
        {"parent_asin": "B2", "title": "Comb", "store": None, "features": [],
         "description": [], "categories": ["Beauty", "Hair Care"], "main_category": None,
         "price": 7.5},
    ]))
    data = load_amazon2023("All_Beauty")
    _assert_tidy(data)
    assert data.interactions["timestamp"].tolist() == [1588687728, 1588615855]
    items = data.items.set_index("item_id")
    assert items.loc["B1", "text"] == "Rose Soap. Store: Soapy. Vegan. Hand made."
    assert items.loc["B1", "category"] == "All Beauty"
    assert items.loc["B2", ["category", "price"]].tolist() == ["Hair Care", 7.5]
    assert data.extras["reviews"]["summary"].tolist() == ["Love it", "Meh"]


# Text sets ------------------------------------------------------------------------------------

def test_banking77(install):
    install("banking77/train", b'text,category\n"Hi, where is my card?",card_arrival\n'
                               b"Rate?,exchange_rate\n")
    install("banking77/categories", b'["card_arrival", "exchange_rate"]')
    frame = load_banking77("train")
    assert list(frame.columns) == ["text", "label"]
    assert frame["text"].tolist() == ["Hi, where is my card?", "Rate?"]
    assert banking77_labels() == ["card_arrival", "exchange_rate"]


def test_banking77_errors(install):
    install("banking77/test", b"query,intent\nhello,greeting\n")
    with pytest.raises(DataError, match="category"):
        load_banking77("test")
    with pytest.raises(ParameterError, match="train"):
        load_banking77("validation")
    install("banking77/categories", b'{"not": "a list"}')
    with pytest.raises(DataError, match="JSON list"):
        banking77_labels()


def test_financial_phrasebank(install):
    raw = "Profit rose to \xa3 5 mn@positive\r\nSales fell , e-mail x@y@negative\r\n" \
          "No change@neutral\r\n"
    install("financial-phrasebank/50agree", raw.encode("latin-1"))
    frame = load_financial_phrasebank()
    assert frame["label"].tolist() == ["positive", "negative", "neutral"]
    assert frame["text"].tolist() == ["Profit rose to £ 5 mn", "Sales fell , e-mail x@y",
                                      "No change"]


def test_financial_phrasebank_line_without_label(install):
    install("financial-phrasebank/50agree", b"Fine@neutral\r\nNo label here\r\n")
    with pytest.raises(DataError, match="line 2"):
        load_financial_phrasebank()


# Registry -------------------------------------------------------------------------------------

def test_registry_dispatch(install, monkeypatch):
    install("ml-latest-small", _latest_small())
    assert load_interactions("ml-latest-small").name == "ml-latest-small"
    _install_2018(install)
    assert load_interactions("amazon2018-gift-cards").n_items == 2
    assert load_interactions("amazon2018:Gift_Cards").n_items == 2
    seen = []
    monkeypatch.setitem(registry.PREFIX_LOADERS, "amazon2023", seen.append)
    load_interactions("amazon2023:Toys_and_Games")
    assert seen == ["Toys_and_Games"]


def test_registry_unknown_name():
    with pytest.raises(UnknownNameError) as caught:
        load_interactions("movielens")
    message = str(caught.value)
    assert all(name in message for name in DATASETS)
    assert "recsys_helpers.data.synthetic" in message


def test_registry_is_extensible(monkeypatch):
    sentinel = object()
    monkeypatch.setitem(registry.LOADERS, "toy", lambda: sentinel)
    assert load_interactions("toy") is sentinel


# The real mirror ------------------------------------------------------------------------------

@pytest.mark.shared_data
def test_real_movielens_latest_small(shared_mirror):
    data = load_movielens("ml-latest-small")
    _assert_tidy(data)
    assert (len(data.interactions), data.n_users, data.n_items) == (100_836, 610, 9_742)
    assert data.items.set_index("item_id").loc["1", "text"].startswith("Toy Story (1995). Genres")


@pytest.mark.shared_data
def test_real_amazon2018_gift_cards(shared_mirror):
    data = load_interactions("amazon2018-gift-cards")
    _assert_tidy(data)
    assert (len(data.interactions), data.n_users, data.n_items) == (2_972, 458, 148)
    assert len(data.extras["reviews"]) == 2_972
    assert not data.items["text"].str.contains("<").any()


@pytest.mark.shared_data
def test_real_banking77(shared_mirror):
    train, test, labels = load_banking77("train"), load_banking77("test"), banking77_labels()
    assert (len(train), len(test), len(labels)) == (10_003, 3_080, 77)
    assert set(train["label"]) == set(labels) == set(test["label"])


@pytest.mark.shared_data
def test_real_financial_phrasebank(shared_mirror):
    frame = load_financial_phrasebank()
    assert len(frame) == 4_846
    assert frame["label"].value_counts().to_dict() == {
        "neutral": 2_879, "positive": 1_363, "negative": 604
    }
