"""Tokenized Docs -> sentences and the hashed n-gram features the classifier reads.

One function serves training and prediction, so the two can never disagree. Features
are word unigrams and bigrams on coach's NORM (lowercase lookup lemma, contractions
expanded: "couldn't" and "could not" are the same features), plus the pair
(sentence start, first word). Every feature is a 64-bit key: a unigram is spaCy's hash
of the NORM string (read straight from the Doc's token array), a bigram mixes two such
keys. Reading them is a few numpy operations per batch of Docs, not Python per token,
so the model costs little beside the phrase matcher (bench/run.py measures it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from spacy.tokens import Doc

ORTH, NORM, IS_SPACE = 65, 67, 6  # spacy.attrs ids (stable across spaCy 3)
#: Tokens that end a sentence (as coach.engine's `followed_by` reads sentences), besides
#: any whitespace token holding a line break.
SENTENCE_ENDS = (".", "!", "?", "…", "...")
#: The key a sentence's first word is paired with, and the multiplier that mixes keys.
BOS = np.uint64(0x9E3779B97F4A7C15)
_MIX = np.uint64(0xBF58476D1CE4E5B9)


def bigram_keys(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Mix two arrays of uint64 keys into one (wrapping arithmetic, order matters)."""
    with np.errstate(over="ignore"):
        return (left * _MIX) ^ (right + BOS) ^ (left >> np.uint64(29))


@dataclass(frozen=True, slots=True)
class Sentences:
    """The sentences of a batch of Docs and the feature keys of each.

    `doc`, `start`, `end`: which Doc and which tokens [start, end) each sentence covers
    (whitespace at either edge left out). `keys` holds every sentence's feature keys one
    after the other; sentence i owns keys[offsets[i]:offsets[i + 1]].
    """

    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    keys: np.ndarray
    offsets: np.ndarray

    def __len__(self) -> int:
        return len(self.doc)


class SentenceSplitter:
    """Knows the hashes of the sentence-ending tokens of one vocabulary."""

    def __init__(self, strings) -> None:
        self.ends = np.array(sorted({strings.add(s) for s in SENTENCE_ENDS}), dtype=np.uint64)
        self.strings = strings

    def split(self, docs: Sequence["Doc"], whole: bool = False) -> Sentences:
        """Sentences and their features for a batch of Docs; `whole` makes each Doc one
        segment (features of the entire reply)."""
        doc_ids, starts, ends, key_parts, counts = [], [], [], [], []
        for d, doc in enumerate(docs):
            if not len(doc):
                continue
            arr = doc.to_array([ORTH, NORM, IS_SPACE])
            orth, norm, space = arr[:, 0], arr[:, 1], arr[:, 2].astype(bool)
            if whole:
                bounds = [(0, len(doc))]
            else:
                stop = np.isin(orth, self.ends)
                if space.any():  # a line break ends a sentence too
                    for i in np.flatnonzero(space):
                        if "\n" in doc[int(i)].text:
                            stop[i] = True
                cut = np.flatnonzero(stop) + 1
                edges = np.concatenate(([0], cut[cut < len(doc)], [len(doc)]))
                bounds = list(zip(edges[:-1].tolist(), edges[1:].tolist()))
            for lo, hi in bounds:
                words = np.flatnonzero(~space[lo:hi]) + lo
                if not len(words):
                    continue
                w = norm[words]
                keys = np.concatenate((w, bigram_keys(w[:-1], w[1:]), bigram_keys(np.array([BOS]), w[:1])))
                doc_ids.append(d)
                starts.append(int(words[0]))
                ends.append(int(words[-1]) + 1)
                key_parts.append(keys)
                counts.append(len(keys))
        offsets = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return Sentences(
            doc=np.array(doc_ids, dtype=np.int64), start=np.array(starts, dtype=np.int64),
            end=np.array(ends, dtype=np.int64),
            keys=np.concatenate(key_parts) if key_parts else np.zeros(0, dtype=np.uint64),
            offsets=offsets)


def lookup(vocabulary: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Row of each key in a sorted `vocabulary`, or -1 for keys it does not hold."""
    if not len(vocabulary):
        return np.full(len(keys), -1, dtype=np.int64)
    at = np.searchsorted(vocabulary, keys)
    at[at == len(vocabulary)] = 0
    return np.where(vocabulary[at] == keys, at, -1)
