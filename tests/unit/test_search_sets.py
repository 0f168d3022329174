"""Search-set loaders on tiny fabricated files in the real formats, and on the real mirror."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pandas as pd
import pytest

from recsys_helpers.data import download, search_sets
from recsys_helpers.data.search_sets import (
    clean_html,
    load_crowdflower,
    load_wands,
    read_crowdflower,
    read_wands,
    split_queries,
)
from recsys_helpers.errors import ChecksumError, DataError, ParameterError

from .test_loaders import _zip

pytestmark = pytest.mark.unit

CROWDFLOWER_CSV = (
    b'id,query,product_title,product_description,median_relevance,relevance_variance\n'
    b'1,red tent,Red Tent 2p,"<p>Sleeps&nbsp;two.</p><br/>",4,0\n'
    b'2,red tent,Blue Kettle,,1,0.5\n'
    b'3,red tent,Red Tent 2p,"<p>Sleeps&nbsp;two.</p><br/>",3,0\n'
    b'4,kettle,Blue Kettle,,4,0\n'
    b'5,kettle,Steel Teapot,".style1 { color: red; } Pours well",2,0.4\n'
)


@pytest.fixture
def crowdflower_zip(install, monkeypatch):
    """A fabricated train.csv.zip in the data home, its member's checksum pinned."""
    monkeypatch.setitem(search_sets.ARCHIVE_MEMBERS, search_sets.CROWDFLOWER_KEY,
                        {"train.csv": hashlib.sha256(CROWDFLOWER_CSV).hexdigest()})
    return install(search_sets.CROWDFLOWER_KEY, _zip({"train.csv": CROWDFLOWER_CSV}))


def test_clean_html_removes_tags_entities_and_css():
    assert clean_html("<p>Soft&nbsp;cotton</p><br/>&amp; more") == "Soft cotton & more"
    assert clean_html(".style1 {\n text-align: center;\n}\n<b>Bold</b> text") == "Bold text"
    assert clean_html(None) == ""


def test_crowdflower_gains_are_grade_minus_one(crowdflower_zip):
    data = load_crowdflower()
    assert len(data.queries) == 2 and len(data.products) == 3
    assert data.max_gain == 3
    texts = dict(zip(data.products["product_id"], data.products["text"], strict=True))
    assert set(texts.values()) == {"Red Tent 2p. Sleeps two.", "Blue Kettle",
                                   "Steel Teapot. Pours well"}
    gains = {(q, texts[p]): g for q, p, g in data.judgements.itertuples(index=False)}
    # the tent judged twice (4 and 3) keeps the rounded mean gain: (3 + 2) / 2 -> 2
    assert gains == {(0, "Red Tent 2p. Sleeps two."): 2, (0, "Blue Kettle"): 0,
                     (1, "Blue Kettle"): 3, (1, "Steel Teapot. Pours well"): 1}


def test_crowdflower_member_checksum_is_checked(crowdflower_zip, monkeypatch):
    monkeypatch.setitem(search_sets.ARCHIVE_MEMBERS, search_sets.CROWDFLOWER_KEY,
                        {"train.csv": "0" * 64})
    with pytest.raises(ChecksumError, match="train.csv"):
        load_crowdflower()


def test_crowdflower_without_the_file_says_how_to_get_it(isolated_data):
    with pytest.raises(DataError) as caught:
        load_crowdflower()
    message = str(caught.value)
    assert "kaggle competitions download -c crowdflower-search-relevance" in message
    assert "RECSYS_DATA_HOME" in message and "crowdflower-search/train.csv.zip" in message


def test_crowdflower_rejects_grades_outside_one_to_four():
    frame = pd.read_csv(io.BytesIO(CROWDFLOWER_CSV))
    frame.loc[1, "median_relevance"] = 7
    with pytest.raises(DataError, match="grade from 1 to 4"):
        read_crowdflower(frame)
    with pytest.raises(DataError, match="median_relevance"):
        read_crowdflower(frame.drop(columns="median_relevance"))


def _write_wands(folder, labels=("Exact", "Partial", "Irrelevant")):
    (folder / "query.csv").write_text("query_id\tquery\tquery_class\n0\tsalon chair\tChairs\n"
                                      "1\tsmart coffee table\tTables\n")
    (folder / "product.csv").write_text(
        "product_id\tproduct_name\tproduct_class\tcategory_hierarchy\tproduct_description\t"
        "product_features\trating_count\taverage_rating\treview_count\n"
        "10\tsalon chair pro\tChairs\tFurniture\t<b>hydraulic</b> base\tcolor:black\t3\t4.5\t2\n"
        "11\toak coffee table\tTables\tFurniture\t\t\t\t\t\n")
    (folder / "label.csv").write_text(
        f"id\tquery_id\tproduct_id\tlabel\n0\t0\t10\t{labels[0]}\n1\t1\t11\t{labels[1]}\n"
        f"2\t0\t11\t{labels[2]}\n")
    return folder / "query.csv", folder / "product.csv", folder / "label.csv"


def test_wands_files_are_parsed_as_tab_separated(tmp_path):
    data = read_wands(*_write_wands(tmp_path))
    assert data.queries["text"].tolist() == ["salon chair", "smart coffee table"]
    assert data.products["text"].tolist() == ["salon chair pro. hydraulic base",
                                              "oak coffee table"]
    assert data.judgements.values.tolist() == [[0, 10, 2], [1, 11, 1], [0, 11, 0]]
    assert data.max_gain == 2


def test_wands_unknown_label_is_reported(tmp_path):
    with pytest.raises(DataError, match="Exact"):
        read_wands(*_write_wands(tmp_path, labels=("Exact", "Perfect", "Irrelevant")))


def test_wands_reads_from_a_data_home(tmp_path, isolated_data, monkeypatch):
    home = tmp_path / "home"
    (home / "wands").mkdir(parents=True)
    paths = _write_wands(home / "wands")
    for key, path in zip(search_sets.WANDS_KEYS, paths, strict=True):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        monkeypatch.setitem(download.REMOTE_FILES, key,
                            download.REMOTE_FILES[key].__class__(
                                key, download.REMOTE_FILES[key].url, path.name, digest,
                                f"wands/{path.name}"))
    monkeypatch.setenv(download.DATA_HOME_ENV, str(home))
    assert len(load_wands().judgements) == 3


@pytest.mark.shared_data
def test_wands_offline_fails_fast_naming_the_files(shared_mirror):
    with pytest.raises(DataError) as caught:
        load_wands()  # query.csv is in the mirror, the other two are not; no internet in tests
    message = str(caught.value)
    assert "wands/product.csv" in message and "wands/label.csv" in message
    assert "RECSYS_DATA_HOME" in message


def test_split_queries_is_disjoint_complete_and_seeded():
    ids = np.arange(100)
    train, test = split_queries(ids, test_share=0.3, seed=1)
    assert len(test) == 30 and len(train) == 70
    assert set(train).isdisjoint(test) and set(train) | set(test) == set(ids)
    again = split_queries(ids, test_share=0.3, seed=1)
    assert (again[1] == test).all()
    assert not (split_queries(ids, test_share=0.3, seed=2)[1] == test).all()
    with pytest.raises(ParameterError, match="test_share"):
        split_queries(ids, test_share=1.0)


@pytest.mark.shared_data
def test_crowdflower_mirror(shared_mirror):
    data = load_crowdflower()
    assert len(data.queries) == 261
    assert len(data.judgements) == 10_004  # 10,158 rows, repeats of a (query, product) merged
    assert data.judgements["gain"].between(0, 3).all()
    assert not data.products["text"].str.contains("<p>|&nbsp;", regex=True).any()
