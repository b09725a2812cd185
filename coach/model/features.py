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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

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
        self._breaks: dict[int, bool] = {}  # whitespace token hash -> holds a line break

    def _line_breaks(self, orth: np.ndarray) -> np.ndarray:
        """Which whitespace tokens (by ORTH hash) hold a line break."""
        out = np.zeros(len(orth), dtype=bool)
        if not len(orth):
            return out
        unique, inverse = np.unique(orth, return_inverse=True)
        known = self._breaks
        flags = np.array(
            [known[h] if h in known else known.setdefault(h, "\n" in self.strings[h]) for h in unique.tolist()],
            dtype=bool,
        )
        return flags[inverse]

    def split(self, docs: Sequence[Doc], whole: bool = False, trigrams: bool = False) -> Sentences:
        """Sentences and their features for a batch of Docs (a fixed number of numpy
        operations per batch, whatever its size); `whole` makes each Doc one segment;
        `trigrams` adds word trigrams."""
        arrays = [doc.to_array([ORTH, NORM, IS_SPACE]) for doc in docs]
        lengths = np.array([len(a) for a in arrays], dtype=np.int64)
        empty = np.zeros(0, dtype=np.int64)
        if not lengths.sum():
            return Sentences(empty, empty, empty, np.zeros(0, dtype=np.uint64), np.zeros(1, dtype=np.int64))
        tokens = np.concatenate([a for a in arrays if len(a)]).astype(np.uint64, copy=False)
        orth, norm, space = tokens[:, 0], tokens[:, 1], tokens[:, 2].astype(bool)
        doc_of = np.repeat(np.arange(len(docs)), lengths)
        first_of_doc = np.zeros(len(tokens), dtype=bool)
        first_of_doc[np.cumsum(lengths)[lengths > 0] - lengths[lengths > 0]] = True
        index = np.arange(len(tokens)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        if whole:
            starts = first_of_doc
        else:
            stop = np.isin(orth, self.ends)
            stop[space] = self._line_breaks(orth[space])
            starts = first_of_doc.copy()
            starts[1:] |= stop[:-1] & ~first_of_doc[1:]
        segment = np.cumsum(starts) - 1
        words = np.flatnonzero(~space)
        w_norm, w_seg = norm[words], segment[words]
        # Sentences made only of whitespace have no words and are left out.
        seg_ids, first_word = np.unique(w_seg, return_index=True)
        last_word = np.append(first_word[1:], len(words)) - 1
        sent_of_word = np.searchsorted(seg_ids, w_seg)
        same = sent_of_word[1:] == sent_of_word[:-1]
        uni_owner = sent_of_word
        bi_keys = bigram_keys(w_norm[:-1][same], w_norm[1:][same])
        bi_owner = sent_of_word[:-1][same]
        bos_keys = bigram_keys(np.full(len(seg_ids), BOS, dtype=np.uint64), w_norm[first_word])
        bos_owner = np.arange(len(seg_ids))
        owner_parts = [uni_owner, bi_owner, bos_owner]
        key_parts = [w_norm, bi_keys, bos_keys]
        if trigrams and len(w_norm) > 2:
            same3 = same[:-1] & same[1:]
            pair = bigram_keys(w_norm[:-2][same3], w_norm[1:-1][same3])
            key_parts.append(bigram_keys(pair, w_norm[2:][same3]))
            owner_parts.append(sent_of_word[:-2][same3])
        owner = np.concatenate(owner_parts)
        keys = np.concatenate(key_parts)
        order = np.argsort(owner, kind="stable")
        counts = np.bincount(owner, minlength=len(seg_ids))
        offsets = np.zeros(len(seg_ids) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        first_token, last_token = words[first_word], words[last_word]
        return Sentences(
            doc=doc_of[first_token],
            start=index[first_token],
            end=index[last_token] + 1,
            keys=keys[order],
            offsets=offsets,
        )


def lookup(vocabulary: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Row of each key in a sorted `vocabulary`, or -1 for keys it does not hold."""
    if not len(vocabulary):
        return np.full(len(keys), -1, dtype=np.int64)
    at = np.searchsorted(vocabulary, keys)
    at[at == len(vocabulary)] = 0
    return np.where(vocabulary[at] == keys, at, -1)
