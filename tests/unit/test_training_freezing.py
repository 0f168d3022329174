"""training.freezing: the strategies check agrees with freeze_layers, and the parameter table
adds up to torch's own counts."""

from __future__ import annotations

import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification

from recsys_helpers.errors import ParameterError
from recsys_helpers.train import count_trainable, freeze_layers
from recsys_helpers.training.freezing import check_strategies, parameter_table

pytestmark = pytest.mark.unit


def _tiny_bert(layers: int = 3) -> BertForSequenceClassification:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=100, hidden_size=16, num_hidden_layers=layers,
                        num_attention_heads=2, intermediate_size=32, num_labels=2)
    return BertForSequenceClassification(config)


@pytest.mark.parametrize("strategies", [["head"], ["head", "top-1", "top-3", "all"], ("all",)])
def test_check_strategies_accepts_what_freeze_layers_accepts(strategies):
    assert check_strategies("freeze", strategies, n_layers=3) == list(strategies)
    model = _tiny_bert(3)
    for strategy in strategies:
        freeze_layers(model, strategy)  # must not raise either


@pytest.mark.parametrize(
    ("strategies", "message"),
    [
        ([], "non-empty list"),
        ("head", "non-empty list"),
        (["top-4"], "k must be between 1 and 3"),
        (["top-0"], "k must be between 1 and 3"),
        (["bottom-2"], "each strategy must be"),
        ([2], "each strategy must be"),
        (["head", "head"], "twice"),
    ],
)
def test_check_strategies_rejects_with_the_parameter_name(strategies, message):
    with pytest.raises(ParameterError, match=message) as error:
        check_strategies("freeze", strategies, n_layers=3)
    assert "'freeze'" in str(error.value)
    if strategies and isinstance(strategies, list) and strategies[0] in ("top-4", "top-0"):
        with pytest.raises(ParameterError):  # freeze_layers refuses the same strategies
            freeze_layers(_tiny_bert(3), strategies[0])


@pytest.mark.parametrize("strategy", ["head", "top-1", "top-2", "all"])
def test_parameter_table_adds_up_to_torch_counts(strategy):
    model = _tiny_bert(3)
    trainable = freeze_layers(model, strategy)
    table = parameter_table(model)
    assert table["part"].tolist() == ["embeddings", "layer 0", "layer 1", "layer 2", "head"]
    assert table["parameters"].sum() == sum(p.numel() for p in model.parameters())
    assert table["trainable"].sum() == trainable == count_trainable(model)
    parts = table.set_index("part")
    assert parts.loc["embeddings", "parameters"] == sum(
        p.numel() for p in model.bert.embeddings.parameters())
    assert parts.loc["head", "parameters"] == sum(
        p.numel() for p in [*model.bert.pooler.parameters(), *model.classifier.parameters()])
    if strategy == "head":
        assert parts["trainable"].drop("head").sum() == 0
    if strategy == "top-1":
        assert parts.loc["layer 2", "trainable"] == parts.loc["layer 2", "parameters"]
        assert parts.loc["layer 1", "trainable"] == 0


def test_parameter_table_needs_a_model_with_a_head():
    with pytest.raises(ParameterError, match="with a head"):
        parameter_table(_tiny_bert().bert)
