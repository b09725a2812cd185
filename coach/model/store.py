"""A trained model on disk: `model.npz` (arrays only, loaded with allow_pickle=False) and
`model.json` (labels, thresholds, provenance, held-out metrics).

Data only, so loading a model can never run code, whoever wrote the folder. The bundled
model lives in `coach/model/bundled/`; a team's own is any folder `coach train` wrote.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CoachError, ExitCode

FORMAT = "coach-model/1"
BUNDLED = Path(__file__).resolve().parent / "bundled"
#: spaCy's hash of this string, recorded at training: features are spaCy string hashes,
#: so a model is refused if the running spaCy hashes strings differently.
HASH_PROBE = "coach"
ARRAYS = ("vocabulary", "weights", "bias", "thresholds", "gates")


class ModelError(CoachError):
    """A model folder that cannot be used (missing, corrupt, or for another coach)."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class ModelData:
    """The classifier's parameters: a sorted feature vocabulary (uint64 keys), one weight
    column per label, and per label a bias, the threshold at which a sentence becomes a
    model finding, and the gate a rule finding's sentence needs to stand."""

    labels: tuple[str, ...]
    vocabulary: np.ndarray
    weights: np.ndarray
    bias: np.ndarray
    thresholds: np.ndarray
    gates: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)
    path: str = ""

    @property
    def fingerprint(self) -> str:
        """A short content hash: which model produced a result (stored with runs)."""
        h = hashlib.sha256()
        for name in ARRAYS:
            h.update(np.ascontiguousarray(getattr(self, name)).tobytes())
        h.update(json.dumps(self.labels).encode())
        return h.hexdigest()[:16]


def save(model: ModelData, directory: str | os.PathLike) -> None:
    """Write the two files of a model folder, each atomically."""
    from ..atomic import atomic_writer

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with atomic_writer(str(directory / "model.npz"), mode="wb") as handle:
        handle.write(npz_bytes({name: getattr(model, name) for name in ARRAYS}))
    meta = {
        **model.meta,
        "format": FORMAT,
        "labels": list(model.labels),
        "thresholds": [round(float(t), 4) for t in model.thresholds],
        "gates": [round(float(g), 4) for g in model.gates],
    }
    with atomic_writer(str(directory / "model.json")) as handle:
        json.dump(meta, handle, indent=2, ensure_ascii=False)
        handle.write("\n")


def load(directory: str | os.PathLike) -> ModelData:
    """Read and check a model folder; every problem is one ModelError naming the file."""
    directory = Path(directory)
    meta_path, arrays_path = directory / "model.json", directory / "model.npz"
    if not directory.is_dir():
        raise ModelError(
            "no such model folder", path=str(directory), hint="give a folder written by `coach train`, or --no-model"
        )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(
            "not a coach model folder (no model.json)",
            path=str(directory),
            hint="give a folder written by `coach train`",
        ) from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"unreadable model.json: {exc}", path=str(meta_path)) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelError(
            f"not a {FORMAT} model", path=str(meta_path), hint="train it again with this version: coach train"
        )
    try:
        with np.load(arrays_path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in ARRAYS}
    except FileNotFoundError:
        raise ModelError("model.npz is missing", path=str(directory)) from None
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"unreadable model.npz: {exc}", path=str(arrays_path)) from None
    labels = tuple(meta.get("labels") or ())
    vocabulary, weights = arrays["vocabulary"], arrays["weights"]
    if (
        vocabulary.dtype != np.uint64
        or vocabulary.ndim != 1
        or weights.shape != (len(vocabulary), len(labels))
        or any(arrays[name].shape != (len(labels),) for name in ("bias", "thresholds", "gates"))
        or not np.all(vocabulary[1:] > vocabulary[:-1])
    ):
        raise ModelError(
            "model.npz does not match model.json (labels, shapes or a sorted vocabulary)",
            path=str(arrays_path),
            hint="train it again: coach train",
        )
    probe = meta.get("hash_probe")
    if probe is not None and probe != _hash_probe():
        raise ModelError(
            "this model was trained with a spaCy that hashes words differently",
            path=str(meta_path),
            hint="train it again with this install: coach train",
        )
    bias, thresholds, gates = (arrays[name].astype(np.float32, copy=False) for name in ("bias", "thresholds", "gates"))
    return ModelData(
        labels, vocabulary, weights.astype(np.float32, copy=False), bias, thresholds, gates, meta, str(directory)
    )


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An .npz with fixed timestamps, so the same training gives the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, array in arrays.items():
            data = io.BytesIO()
            np.lib.format.write_array(data, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data.getvalue())
    return buffer.getvalue()


def _hash_probe() -> int:
    from spacy.strings import hash_string  # type: ignore[attr-defined]  # Cython, no stub

    return int(hash_string(HASH_PROBE))


def bundled_available() -> bool:
    return (BUNDLED / "model.json").is_file()
