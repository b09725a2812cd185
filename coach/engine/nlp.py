"""The one place that builds and caches the spaCy pipeline.

coach matches on each token's NORM, which it sets to the token's lowercase
lookup lemma with contractions expanded ("can't" -> can + not, "there's" ->
there + be). Setting NORM once per lexeme (via the vocab's NORM getter) gives
inflection-aware matching for nearly free, where the lemmatizer component
would halve throughput (see docs/performance.md).
"""

from __future__ import annotations

import gzip
import json
import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from spacy.tokenizer import Tokenizer
    from spacy.vocab import Vocab

# Contraction pieces and lookup-table quirks, mapped so a contraction and its
# expansion normalize alike ("there's" / "there is", "can't" / "cannot").
NORM_OVERRIDES = {
    "n't": "not",
    "nt": "not",
    "ca": "can",
    "wo": "will",
    "sha": "shall",
    "ai": "be",
    "'s": "be",
    "'m": "be",
    "'re": "be",
    "'ve": "have",
    "'ll": "will",
    "'d": "would",
    "'em": "them",
    "does": "do",
    "doe": "do",
    "cant": "can",
    "dont": "do",
    "wont": "will",
    "im": "i",
}

#: Words rarer than this (natural log of the unigram probability) count as unseen.
RARE_LOG_P = -17.0


def _lookups_dir() -> str:
    import spacy_lookups_data  # the lemma tables ship in this package; nothing is downloaded

    return os.path.join(os.path.dirname(spacy_lookups_data.__file__), "data")


def _load_table(name: str, derive: Callable[[dict], dict] | None = None, tag: str = "") -> dict:
    """One lookup table, or a table `derive`d from it, kept in coach's cache as text blobs
    (gzip + JSON costs ~40 ms a start for the lemma table, seconds for the word rates)."""
    from . import cache

    path = os.path.join(_lookups_dir(), f"en_{name}.json.gz")
    key = f"{tag or name}-{os.path.getsize(path)}-{int(os.path.getmtime(path))}"
    table = cache.load("table", key, _table_from_blobs)
    if table is None:
        with gzip.open(path, "rb") as fh:
            table = json.loads(fh.read())
        if derive is not None:
            table = derive(table)
        blobs = _table_to_blobs(table)
        if blobs is not None:
            cache.store("table", key, {"size": len(table)}, blobs)
    return table


def _table_to_blobs(table: dict) -> dict | None:
    """str -> str | float as NUL-joined keys plus NUL-joined strings or a float array
    (splitting a string is as fast as unpickling); None when it does not fit that shape."""
    import numpy as np

    keys = list(table)
    values = list(table.values())
    if not all(isinstance(k, str) and "\0" not in k for k in keys):
        return None
    if all(isinstance(v, str) and "\0" not in v for v in values):
        return {"keys": "\0".join(keys), "texts": "\0".join(values)}
    if all(isinstance(v, float) for v in values):
        return {"keys": "\0".join(keys), "numbers": np.array(values, dtype="<f8")}
    return None


def _table_from_blobs(doc: dict, blobs: dict) -> dict:
    keys = blobs["keys"].split("\0") if doc["size"] else []
    values = (blobs["texts"].split("\0") if doc["size"] else []) if "texts" in blobs else blobs["numbers"].tolist()
    if len(keys) != doc["size"] or len(values) != doc["size"]:
        raise ValueError("damaged table")
    return dict(zip(keys, values))


@lru_cache(maxsize=1)
def word_rates() -> dict[str, float]:
    """How often each NORM occurs in English text: spacy-lookups-data's unigram
    probabilities summed over the word forms sharing a NORM. The compiler looks for the
    rarest part of each slot pattern; used only when compiling, the result cached."""
    if not os.path.exists(os.path.join(_lookups_dir(), "en_lexeme_prob.json.gz")):
        return {}

    def by_norm(probs: dict[str, float]) -> dict[str, float]:
        norm = norm_function()
        table: dict[str, float] = {}
        for word, log_p in probs.items():
            if log_p > RARE_LOG_P:
                n = norm(word)
                table[n] = table.get(n, 0.0) + math.exp(log_p)
        return table

    return _load_table("lexeme_prob", by_norm, tag="rates")


@lru_cache(maxsize=1)
def norm_function() -> Callable[[str], str]:
    """Return the string -> NORM function: lowercase, American spelling, lookup lemma."""
    lemmas = _load_table("lemma_lookup")
    spelling = _load_table("lexeme_norm")
    overrides = NORM_OVERRIDES

    def norm(text: str) -> str:
        low = text.lower()
        hit = overrides.get(low)
        if hit is not None:
            return hit
        low = spelling.get(low, low)
        return lemmas.get(low, low)

    return norm


@dataclass(frozen=True)
class Pipeline:
    """What coach needs of spaCy: a vocab and an English tokenizer (no pipeline components)."""

    vocab: Vocab
    tokenizer: Tokenizer

    @contextmanager
    def memory_zone(self) -> Iterator[None]:
        """Free the word types first seen inside the block when it ends (spaCy >= 3.8)."""
        if not hasattr(self.vocab, "memory_zone"):
            yield
            return
        with self.vocab.memory_zone() as mem:
            if hasattr(self.tokenizer, "memory_zone"):
                with self.tokenizer.memory_zone(mem):
                    yield
            else:
                yield


@lru_cache(maxsize=1)
def get_nlp() -> Pipeline:
    """Build spaCy's English vocab and tokenizer with coach's NORMs; cached for the process.

    Built directly rather than through spacy.blank("en"): that resolves a config and loads
    the 1,300 tokenizer exceptions, which coach would then have to load again with its
    own NORMs — about twice the start-up time of `coach lint`.
    """
    from ..gcpause import paused

    with paused():
        return _build_pipeline()


def _build_pipeline() -> Pipeline:
    """The vocab (coach NORMs on every lexeme) and tokenizer get_nlp caches."""
    from spacy.attrs import NORM, ORTH
    from spacy.lang.en import English
    from spacy.tokenizer import Tokenizer
    from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex
    from spacy.vocab import create_vocab

    defaults = English.Defaults
    norm = norm_function()
    vocab = create_vocab("en", defaults)
    # New lexemes get coach's NORM as they are created, in C, once per word type.
    vocab.lex_attr_getters[NORM] = norm  # type: ignore[attr-defined]  # set in Cython
    # Tokenizer exceptions carry their own token-level NORM ("'m" -> "am"): rewrite them.
    rules = {
        key: [{**piece, NORM: norm(piece.get(NORM, piece[ORTH]))} for piece in pieces]
        for key, pieces in defaults.tokenizer_exceptions.items()
    }
    tokenizer = Tokenizer(
        vocab,
        rules=rules,
        prefix_search=compile_prefix_regex(defaults.prefixes or ()).search,
        suffix_search=compile_suffix_regex(defaults.suffixes or ()).search,
        infix_finditer=compile_infix_regex(defaults.infixes).finditer,
        token_match=defaults.token_match,
        url_match=defaults.url_match,
    )
    for lexeme in vocab:
        lexeme.norm_ = norm(lexeme.orth_)
    return Pipeline(vocab, tokenizer)


def token_norms(text: str) -> list[str]:
    """The NORMs of `text` as coach matches them (used to compile phrases and in tests)."""
    return [t.norm_ for t in get_nlp().tokenizer(text)]
