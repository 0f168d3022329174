"""The intent data sets by name: Banking77, or a reader's own pair of CSV files."""

from __future__ import annotations

import pytest

from recsys_helpers.data.text_sets import load_intents
from recsys_helpers.errors import DataError, UnknownNameError

pytestmark = pytest.mark.unit


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_pair(tmp_path):
    train = write(tmp_path / "train.csv",
                  'label,text,extra\nrefund,"Where is my refund, please?",x\ncard,lost card,y\n')
    test = write(tmp_path / "test.csv", "text,label\nmy card is gone,card\n")
    train_frame, test_frame = load_intents(f"csv:{train}, {test}")
    assert list(train_frame.columns) == ["text", "label"]
    assert train_frame["text"].tolist() == ["Where is my refund, please?", "lost card"]
    assert test_frame.to_dict("list") == {"text": ["my card is gone"], "label": ["card"]}


def test_csv_errors_say_what_is_wrong(tmp_path):
    train = write(tmp_path / "train.csv", "text,label\na,x\nb,y\n")
    with pytest.raises(DataError, match="does not exist"):
        load_intents(f"csv:{train},{tmp_path / 'missing.csv'}")
    with pytest.raises(DataError, match="two files"):
        load_intents(f"csv:{train}")
    no_label = write(tmp_path / "bad.csv", "text,intent\na,x\n")
    with pytest.raises(DataError, match=r"lacks the column\(s\) \['label'\]"):
        load_intents(f"csv:{train},{no_label}")
    unseen = write(tmp_path / "unseen.csv", "text,label\na,x\nc,z\n")
    with pytest.raises(DataError, match=r"labels that the training file .* lacks: \['z'\]"):
        load_intents(f"csv:{train},{unseen}")
    empty_label = write(tmp_path / "empty.csv", "text,label\na,x\nb,\n")
    with pytest.raises(DataError, match="empty text or label .*line 3"):
        load_intents(f"csv:{empty_label},{train}")
    one_label = write(tmp_path / "one.csv", "text,label\na,x\nb,x\n")
    with pytest.raises(DataError, match="at least two labels"):
        load_intents(f"csv:{one_label},{one_label}")
    with pytest.raises(UnknownNameError, match="known"):
        load_intents("banking78")


def test_banking77_by_name(install):
    install("banking77/train",
            b"text,category\nwhere is my card,card_arrival\nrate?,exchange_rate\n")
    install("banking77/test", b"text,category\ncard not here,card_arrival\n")
    train, test = load_intents("banking77")
    assert train["label"].tolist() == ["card_arrival", "exchange_rate"]
    assert test["text"].tolist() == ["card not here"]
