"""Offline model loading: the bundled MiniLM, local folders, and fast failures for hub names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from safetensors.torch import load_file, save_file
from transformers import BertConfig, BertForSequenceClassification
from transformers.utils import logging as hf_logging

from recsys_helpers.errors import ModelNotAvailableError, ParameterError, UnknownNameError
from recsys_helpers.models import pretrained
from recsys_helpers.models.pretrained import (
    MINILM_HUB_ID,
    MODEL_ALIASES,
    encode_texts,
    load_classifier,
    load_config,
    load_encoder,
    load_tokenizer,
    newly_initialised,
    resolve_model,
)

pytestmark = pytest.mark.unit

MISSING_HUB_NAME = "recsys-helpers-tests/no-such-model"


@pytest.fixture(scope="module")
def encoder():
    return load_encoder("minilm", device="cpu")


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer("minilm")


def test_resolve_model():
    bundled = MODEL_ALIASES["minilm"]
    assert Path(bundled, "config.json").is_file()
    assert resolve_model() == bundled
    assert resolve_model(MINILM_HUB_ID) == bundled
    assert resolve_model("MiniLM") == bundled
    assert resolve_model("bert-base-uncased") == "bert-base-uncased"  # left to the hub
    with pytest.raises(UnknownNameError, match="minilm"):
        resolve_model("not a model name")
    with pytest.raises(ModelNotAvailableError, match="no model folder"):
        resolve_model("./no/such/folder")
    with pytest.raises(ParameterError):
        resolve_model("")


def test_minilm_embeddings_are_384d_normalised_and_meaningful(encoder):
    texts = ["red cotton t-shirt", "crimson cotton tee", "espresso grinder"]
    vectors = encode_texts(encoder, texts)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similar, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert similar > unrelated + 0.2
    bf16 = encode_texts(encoder, texts, precision="bf16")
    assert bf16.dtype == np.float32
    assert (bf16 * vectors).sum(axis=1).min() > 0.995
    with pytest.raises(ParameterError, match="precision"):
        encode_texts(encoder, texts, precision="fp16")


def test_encode_texts_edge_cases(encoder):
    assert encode_texts(encoder, []).shape == (0, 384)
    # all-MiniLM-L6-v2 ends in its own Normalize module, so normalize=False changes nothing here
    raw = encode_texts(encoder, ["red cotton t-shirt"], normalize=False)
    assert raw.shape == (1, 384)
    with pytest.raises(ParameterError, match="single string"):
        encode_texts(encoder, "red cotton t-shirt")
    with pytest.raises(ParameterError, match="strings"):
        encode_texts(encoder, ["ok", None])


@pytest.fixture
def no_network_loads(monkeypatch):
    """Refuse every outgoing connection, and record the addresses that were tried."""
    import socket

    attempts: list[object] = []

    def refuse(self, address):
        attempts.append(address)
        raise OSError("the tests refuse network connections")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


@pytest.mark.parametrize("loader", [load_tokenizer, load_encoder, load_classifier, load_config])
def test_unknown_hub_name_offline_fails_without_touching_the_network(loader, monkeypatch,
                                                                     no_network_loads):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotAvailableError) as caught:
        loader(MISSING_HUB_NAME)
    assert not no_network_loads
    message = str(caught.value)
    assert "minilm" in message and "internet" in message and "HF_HUB_OFFLINE" in message


def test_unknown_hub_name_without_offline_flag_probes_the_hub_once(monkeypatch):
    # no network here: one bounded probe of the hub replaces ~50 s of download retries; with
    # network the hub answers "repository not found", which also ends in this error
    for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(variable, raising=False)
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    probes = []

    def probe(endpoint, timeout):
        probes.append(timeout)
        return False

    monkeypatch.setattr(pretrained, "_hub_answers", probe)
    with pytest.raises(ModelNotAvailableError, match="minilm"):
        load_tokenizer(MISSING_HUB_NAME)
    assert probes == [pretrained.HUB_PROBE_TIMEOUT_S]


def test_the_hub_probe_gives_up_on_a_server_that_never_answers():
    import socket

    with socket.socket() as silent:  # accepts connections, never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        host, port = silent.getsockname()
        assert pretrained._hub_answers(f"http://{host}:{port}/", timeout=0.3) is False


def test_unreachable_hub_is_reported(monkeypatch):
    for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(pretrained, "_hub_answers", lambda endpoint, timeout: False)
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    with pytest.raises(ModelNotAvailableError, match="cannot be reached"):
        load_tokenizer(MISSING_HUB_NAME)


def test_classifier_loads_quietly_with_a_new_head(capfd):
    verbosity = hf_logging.get_verbosity()
    model = load_classifier("minilm", num_labels=2, device="cpu")
    assert isinstance(model, BertForSequenceClassification)
    assert model.config.num_labels == 2 and model.classifier.out_features == 2
    captured = capfd.readouterr()
    assert "LOAD REPORT" not in captured.err + captured.out
    assert hf_logging.get_verbosity() == verbosity  # the quiet block restores the settings


def _tiny_classifier(tokenizer) -> BertForSequenceClassification:
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
    )
    return BertForSequenceClassification(config)


def test_local_folder_works(tokenizer, tmp_path):
    tokenizer.save_pretrained(tmp_path)
    _tiny_classifier(tokenizer).save_pretrained(tmp_path)
    reloaded = load_tokenizer(str(tmp_path))
    assert reloaded("red shirt")["input_ids"] == tokenizer("red shirt")["input_ids"]
    model = load_classifier(tmp_path, device="cpu")
    assert model.config.hidden_size == 32
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotAvailableError, match="does not hold"):
        load_classifier(str(tmp_path / "empty"), device="cpu")


def test_missing_encoder_weights_still_warn(tokenizer, tmp_path):
    _tiny_classifier(tokenizer).save_pretrained(tmp_path)
    weights = load_file(tmp_path / "model.safetensors")
    weights = {k: v for k, v in weights.items() if "layer.0.output.dense" not in k}
    save_file(weights, tmp_path / "model.safetensors", metadata={"format": "pt"})
    with pytest.warns(UserWarning, match="layer.0.output.dense"):
        load_classifier(str(tmp_path), device="cpu")


def test_load_config_reads_the_bundled_model_without_weights():
    config = load_config("minilm")
    assert (config.num_hidden_layers, config.hidden_size) == (6, 384)


def test_newly_initialised_is_the_head_the_checkpoint_lacks():
    new = newly_initialised("minilm", num_labels=3)
    assert new == ["classifier.bias", "classifier.weight"]  # the checkpoint has a pooler
    model = load_classifier("minilm", num_labels=3, device="cpu")
    assert model.classifier.weight.shape == (3, model.config.hidden_size)
    with pytest.raises(ParameterError):
        newly_initialised("minilm", num_labels=0)
