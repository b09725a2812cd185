"""Rules -> plain pattern data, routed like spaCy's SpanRuler, and cached on disk.

Routing: a variant whose every token is a plain NORM becomes a PhraseMatcher
phrase; a variant with gaps, optional slots, one-of-many words, exact forms or flag
tests becomes a slot pattern (coach.engine.slotmatch) whose rarest run of words also goes
to the PhraseMatcher; raw `patterns` that fit no slot go to spaCy's Matcher. The
result is plain data (numpy arrays and tuples of strings), so it is cached as JSON
and arrays (coach.engine.cache: never a pickle) and `coach lint` can skip compiling on
the next run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import product
from typing import TYPE_CHECKING, NamedTuple

from ..errors import PhrasebookError, PhrasebookErrors
from ..models import Rule
from .patterns import spacy_pattern
from .phrase_syntax import Choice, Gap, Variant, plan

if TYPE_CHECKING:  # pragma: no cover
    from .nlp import Pipeline

UNLESS = "|unless"
RUN = "\x00run"  # PhraseMatcher key prefix: a slot pattern's run was found ("\x00run7")


class SlotSpec(NamedTuple):
    """One slot of a slot pattern, as strings (the engine turns it into hashes)."""

    norms: tuple[str, ...]  # any of these NORMs matches (empty: no NORM test)
    lowers: tuple[str, ...]  # ... or any of these lowercase forms
    orths: tuple[str, ...]  # ... or any of these exact forms
    flags: tuple[tuple[str, bool], ...]  # lexeme flags the token must have (IS_DIGIT, True)
    any: bool  # any token matches (a gap)
    optional: bool  # the slot may be skipped
    negate: bool  # the token must NOT match the tests above


FORMAT = 17  # bump when the Compiled layout or its cached form changes
#: A run (the words the PhraseMatcher looks for) of more slots may expand to at most
#: this many word sequences; one slot may have any number of words. Bigger runs are
#: found less often but cost PhraseMatcher memory (2,000: +60 MB for ~20% fewer hits).
RUN_VARIANTS = 300
#: Token flags a slot can test (spaCy lexeme attributes with boolean values).
FLAGS = frozenset(
    {
        "IS_ALPHA",
        "IS_ASCII",
        "IS_DIGIT",
        "IS_LOWER",
        "IS_UPPER",
        "IS_TITLE",
        "IS_PUNCT",
        "IS_SPACE",
        "IS_BRACKET",
        "IS_QUOTE",
        "IS_LEFT_PUNCT",
        "IS_RIGHT_PUNCT",
        "IS_CURRENCY",
        "LIKE_NUM",
        "LIKE_URL",
        "LIKE_EMAIL",
    }
)


class PhraseTable:
    """PhraseMatcher phrases (NORM hash sequences under keys) as a few numpy arrays: they
    load from the cache in a millisecond where 100k tuples took a tenth of a second, and
    a `coach lint` picks the phrases whose words its drafts contain without a Python loop."""

    def __init__(self, phrases: list[tuple[str, tuple[int, ...]]]) -> None:
        import numpy as np

        phrases = sorted(phrases, key=lambda p: p[0])
        self.keys = sorted({key for key, _ in phrases})
        index = {key: i for i, key in enumerate(self.keys)}
        lengths = np.array([len(hashes) for _, hashes in phrases], dtype=np.int64)
        self.key_of = np.array([index[key] for key, _ in phrases], dtype=np.uint32)
        self.ends = np.cumsum(lengths)
        self.starts = self.ends - lengths
        self.flat = np.array([h for _, hashes in phrases for h in hashes], dtype=np.uint64)

    def by_key(self, words: set[int] | None = None) -> dict[str, list[list[int]]]:
        """key -> phrases; with `words`, only the phrases whose every hash is among them
        (a phrase cannot match a text that lacks one of its words)."""
        import numpy as np

        if words is None:
            chosen = np.arange(len(self.key_of))
        elif not len(self.key_of):
            chosen = np.arange(0)
        else:
            wanted = np.fromiter(words, dtype=np.uint64, count=len(words))
            covered = np.logical_and.reduceat(np.isin(self.flat, wanted), self.starts)
            chosen = np.flatnonzero(covered)
        starts, ends = self.starts[chosen], self.ends[chosen]
        lengths = ends - starts
        # Gather just the chosen phrases' hashes in one numpy step, then cut them apart.
        offsets = np.cumsum(lengths) - lengths
        index = np.arange(int(lengths.sum())) - np.repeat(offsets - starts, lengths)
        values = self.flat[index].tolist()
        out: dict[str, list[list[int]]] = {}
        keys = self.keys
        for key, offset, length in zip(self.key_of[chosen].tolist(), offsets.tolist(), lengths.tolist()):
            out.setdefault(keys[key], []).append(values[offset : offset + length])
        return out

    ARRAYS = ("key_of", "starts", "ends", "flat")

    @classmethod
    def from_arrays(cls, keys: list[str], arrays: dict) -> PhraseTable:
        """A table from cached arrays (read-only views are fine: nothing writes them)."""
        table = cls.__new__(cls)
        table.keys = keys
        for name, dtype in zip(cls.ARRAYS, ("uint32", "int64", "int64", "uint64")):
            if arrays[name].dtype != dtype or arrays[name].ndim != 1:
                raise ValueError("damaged phrase table")
            setattr(table, name, arrays[name])
        n = len(table.key_of)
        if not (
            len(table.starts) == len(table.ends) == n
            and (
                not n
                or (
                    int(table.key_of.max()) < len(keys)
                    and int(table.ends[-1]) == len(table.flat)
                    and bool((table.starts <= table.ends).all())
                    and int(table.starts.min()) >= 0
                )
            )
        ):
            raise ValueError("damaged phrase table")
        return table


@dataclass
class Compiled:
    """Everything the matchers need, as plain data."""

    #: PhraseMatcher phrases as (rule key, NORM string hashes) while compiling; then the
    #: same as a PhraseTable (a draft can only match phrases whose every word it contains).
    phrases: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)
    table: PhraseTable | None = None
    #: Slot patterns as (key, slots, first slot of the run, run group); the run's word
    #: sequences are among `phrases` under the key RUN + group.
    slots: list[tuple[str, tuple[SlotSpec, ...], int, int]] = field(default_factory=list)
    #: A rule's own spaCy token patterns (its `patterns:`) that fit no slot: spaCy's Matcher.
    token_patterns: list[tuple[str, list[dict]]] = field(default_factory=list)
    #: Words that gate spaCy's Matcher -> the longest token pattern anchored on each, in
    #: tokens (None: unbounded), so the Matcher reads only windows that wide around them.
    pattern_anchors: dict[str, int | None] = field(default_factory=dict)
    always: bool = False  # a token pattern has no literal word to anchor on
    #: key -> token patterns (spaCy-style dicts), for `coach phrasebook show` and data tests.
    view: dict[str, list[list[dict]]] = field(default_factory=dict)

    def to_cache(self) -> tuple[dict, dict]:
        """(JSON document, arrays) for coach.engine.cache; slot specs are listed once each."""
        import numpy as np

        assert self.table is not None
        specs: dict[SlotSpec, int] = {}
        keys: dict[str, int] = {}
        slot_specs_flat: list[int] = []
        slot_rows: list[list[int]] = []
        for key, spec_tuple, run, group in self.slots:
            ids = [specs.setdefault(spec, len(specs)) for spec in spec_tuple]
            slot_rows.append([keys.setdefault(key, len(keys)), len(slot_specs_flat), len(ids), run, group])
            slot_specs_flat.extend(ids)
        doc = {
            "keys": self.table.keys,
            "slot_keys": list(keys),
            "specs": [
                [list(n), list(lw), list(o), [list(f) for f in fl], a, op, ng] for n, lw, o, fl, a, op, ng in specs
            ],
            "token_patterns": [[key, pattern] for key, pattern in self.token_patterns],
            "pattern_anchors": [[word, reach] for word, reach in self.pattern_anchors.items()],
            "always": self.always,
        }
        arrays = {name: getattr(self.table, name) for name in PhraseTable.ARRAYS}
        arrays["slot_rows"] = np.array(slot_rows, dtype="<i8").reshape(-1)
        arrays["slot_specs"] = np.array(slot_specs_flat, dtype="<i8")
        return doc, arrays

    @classmethod
    def from_cache(cls, doc: dict, arrays: dict) -> Compiled:
        """The inverse of to_cache; raises on anything of another shape."""

        def strings(items) -> tuple[str, ...]:
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise ValueError("damaged slot spec")
            return tuple(items)

        specs: list[SlotSpec] = []
        for norms, lowers, orths, flags, any_, optional, negate in doc["specs"]:
            if not all(isinstance(b, bool) for b in (any_, optional, negate)) or not all(
                isinstance(f, list) and len(f) == 2 and isinstance(f[0], str) and isinstance(f[1], bool) for f in flags
            ):
                raise ValueError("damaged slot spec")
            specs.append(
                SlotSpec(
                    strings(norms),
                    strings(lowers),
                    strings(orths),
                    tuple((f[0], f[1]) for f in flags),
                    any_,
                    optional,
                    negate,
                )
            )
        slot_keys = strings(doc["slot_keys"])
        if arrays["slot_rows"].dtype != "int64" or arrays["slot_specs"].dtype != "int64":
            raise ValueError("damaged slots")
        rows = arrays["slot_rows"].tolist()
        flat = arrays["slot_specs"].tolist()
        slots = []
        for i in range(0, len(rows), 5):
            key, start, count, run, group = rows[i : i + 5]
            slots.append((slot_keys[key], tuple(specs[s] for s in flat[start : start + count]), run, group))
        token_patterns = [(key, pattern) for key, pattern in doc["token_patterns"]]
        if not all(
            isinstance(k, str) and isinstance(p, list) and all(isinstance(t, dict) for t in p)
            for k, p in token_patterns
        ):
            raise ValueError("damaged token pattern")
        anchors = {word: reach for word, reach in doc["pattern_anchors"]}
        if not all(isinstance(w, str) and (r is None or isinstance(r, int)) for w, r in anchors.items()):
            raise ValueError("damaged pattern anchors")
        if not isinstance(doc["always"], bool):
            raise ValueError("damaged flag")
        return cls(
            table=PhraseTable.from_arrays(list(strings(doc["keys"])), arrays),
            slots=slots,
            token_patterns=token_patterns,
            pattern_anchors=anchors,
            always=doc["always"],
        )


class Compiler:
    """Compiles rules with one tokenizer; caches how each phrase chunk tokenizes."""

    def __init__(self, nlp: Pipeline) -> None:
        from .nlp import norm_function

        self.nlp = nlp
        self.norm = norm_function()
        self.hash = nlp.vocab.strings.add
        self._chunks: dict[tuple[str, bool], list[str]] = {}
        self._options: dict = {}  # atom -> its token options (an atom recurs in many variants)
        self._groups: dict[tuple, int] = {}  # run signature -> group
        self._rate = None

    def compile(self, rules: Iterable[Rule]) -> Compiled:
        out = Compiled()
        errors: list[PhrasebookError] = []
        for rule in rules:
            try:
                self._add(out, rule.id, rule.phrases, rule.patterns)
                if rule.unless:
                    self._add(out, rule.id + UNLESS, rule.unless, ())
            except ValueError as exc:
                errors.append(PhrasebookError(str(exc), path=rule.path, line=rule.line, rule=rule.id))
        if errors:
            raise PhrasebookErrors(errors)
        out.table = PhraseTable(out.phrases)
        out.phrases = []
        return out

    def _norms(self, chunk: str, exact: bool) -> list[str]:
        hit = self._chunks.get((chunk, exact))
        if hit is None:
            from .normalize import normalize

            doc = self.nlp.tokenizer(normalize(chunk).text)
            hit = [t.lower_ if exact else t.norm_ for t in doc]
            self._chunks[(chunk, exact)] = hit
        return hit

    def _atom_options(self, atom) -> list[list[dict]]:
        """The token sequences one atom can stand for (one, unless a Choice holds contractions).
        Memoized: the returned dicts are shared by every pattern holding the atom, and no
        one changes them."""
        hit = self._options.get(atom)
        if hit is None:
            hit = self._options[atom] = self._build_options(atom)
        return hit

    def _build_options(self, atom) -> list[list[dict]]:
        if isinstance(atom, Gap):
            return [[{"OP": "?"} if atom.optional else {}]]
        if isinstance(atom, Choice):
            tokenized = [self._norms(word, False) for word in atom.words]
            singles = sorted({t[0] for t in tokenized if len(t) == 1})
            multis = [t for t in tokenized if len(t) > 1]
            options: list[list[dict]] = []
            if singles:
                slot: dict = {"NORM": singles[0]} if len(singles) == 1 else {"NORM": {"IN": singles}}
                if atom.optional and not multis:
                    slot["OP"] = "?"
                options.append([slot])
            options += [[{"NORM": n} for n in t] for t in multis]
            if atom.optional and multis:
                options.append([])
            return options
        attr = "LOWER" if atom.exact else "NORM"
        return [[{attr: n} for n in self._norms(atom.text, atom.exact)]]

    def _patterns(self, variant: Variant) -> list[list[dict]]:
        """Every token pattern a (possibly Choice-holding) variant compiles to."""
        return [
            [slot for part in combo for slot in part]
            for combo in product(*(self._atom_options(atom) for atom in variant))
        ]

    def _add(self, out: Compiled, key: str, phrases: Iterable[str], patterns: Iterable[list]) -> None:
        seen: set[str] = set()
        for phrase in phrases:
            for variant in plan(phrase):
                for pattern in self._patterns(variant):
                    sig = repr(pattern)
                    if sig in seen or not pattern:
                        continue
                    seen.add(sig)
                    out.view.setdefault(key, []).append(pattern)
                    if all(list(t) == ["NORM"] and isinstance(t["NORM"], str) for t in pattern):
                        hashes = tuple(self.hash(t["NORM"]) for t in pattern)
                        out.phrases.append((key, hashes))
                    else:
                        self._token_pattern(out, key, pattern)
        for pattern in patterns:
            converted = spacy_pattern(pattern)
            out.view.setdefault(key, []).append(converted)
            self._token_pattern(out, key, converted)

    def _token_pattern(self, out: Compiled, key: str, pattern: list[dict]) -> None:
        """To the slot matcher when every token fits it, else to spaCy's Matcher."""
        specs: list[SlotSpec] = []
        for token in pattern:
            fitted = slot_specs(token)
            if fitted is None:
                break
            specs.extend(fitted)
        else:
            if specs and not specs[0].any and not all(s.optional for s in specs):
                run, group = self._run(out, specs)
                if group is not None:
                    out.slots.append((key, tuple(specs), run, group))
                    return
                # No run of words to look for: spaCy's Matcher, in C, reads every token
                # faster than coach could try the pattern at each one.
        out.token_patterns.append((key, pattern))
        length = _max_length(pattern)
        words = self._anchor(pattern)
        if words is None:
            out.always = True  # spaCy's Matcher then reads every Doc
            return
        for word in words:
            old = out.pattern_anchors.get(word, 0)
            out.pattern_anchors[word] = None if old is None or length is None else max(old, length)

    # -- runs: the part of a slot pattern the PhraseMatcher looks for -----------------
    def _run_words(self, spec: SlotSpec) -> tuple[str, ...] | None:
        """The NORMs a run slot's words have, or None when the slot cannot be in a run."""
        norms, lowers, orths, flags, any_, _optional, negate = spec
        if any_ or negate or orths or flags or not (norms or lowers):
            return None
        words = set(norms)
        for word in lowers:
            tokens = self._norms(word, False)
            words.add(tokens[0] if len(tokens) == 1 else self.norm(word))
        return tuple(sorted(words))

    def _run(self, out: Compiled, specs: list[SlotSpec]) -> tuple[int, int | None]:
        """Pick the run a text is least likely to contain (by English word frequencies,
        at most RUN_VARIANTS word sequences unless it is one slot) and register its
        phrases; returns (first slot of the run, run group), group None when no slot can
        be in a run (only gaps, flags, negated or optional slots)."""
        rate = self._rates()
        words = [self._run_words(spec) for spec in specs]
        best: tuple[float, int, int, int] | None = None  # (expected hits, -length, i, j)
        for i, first in enumerate(words):
            if first is None or specs[i][5]:
                continue
            expected, variants = 1.0, 1
            for j in range(i, len(specs)):
                run_words = words[j]
                if run_words is None:
                    break
                p = min(1.0, sum(rate(w) for w in run_words))
                optional = specs[j][5]
                expected *= (1.0 + p) if optional else p
                variants *= len(run_words) + optional
                if j > i and variants > RUN_VARIANTS:
                    break
                if optional:
                    continue  # a run ends on a required slot
                candidate = (expected, -(j - i), i, j + 1)
                if best is None or candidate < best:
                    best = candidate
        if best is None:
            return 0, None
        _, _, i, j = best
        signature = tuple((words[k], specs[k][5]) for k in range(i, j))
        group = self._groups.get(signature)
        if group is None:
            group = self._groups[signature] = len(self._groups)
            # every slot of the chosen run has words (the loop above stops at one without)
            options = [
                [*run_words, *([None] if optional else [])]  # type: ignore[misc]
                for run_words, optional in signature
            ]
            phrases = {tuple(w for w in combo if w is not None) for combo in product(*options)}
            run_key = f"{RUN}{group}"
            for phrase in sorted(phrases):
                hashes = tuple(self.hash(w) for w in phrase)
                out.phrases.append((run_key, hashes))
        return i, group

    def _rates(self):
        if self._rate is None:
            from .nlp import word_rates

            table = word_rates()
            floor = min(table.values(), default=1e-9)
            self._rate = lambda word: table.get(word, floor)
        return self._rate

    def _anchor(self, pattern: list[dict]) -> set[str] | None:
        """The words a token pattern cannot match without: its required slot whose
        shortest word is longest (longer words are rarer)."""
        best: tuple[int, set[str]] | None = None
        for token in pattern:
            if token.get("OP") not in (None, "+"):
                continue
            for attr in ("NORM", "LOWER", "ORTH", "TEXT"):
                value = token.get(attr)
                if isinstance(value, dict) and isinstance(value.get("IN"), list) and value["IN"]:
                    words = {str(v) for v in value["IN"]}
                elif isinstance(value, str):
                    words = {value}
                else:
                    continue
                if attr != "NORM":
                    words = {self.norm(w) for w in words}
                score = min(len(w) for w in words)
                if best is None or score > best[0]:
                    best = (score, words)
                break
        return None if best is None else best[1]


def _max_length(pattern: list[dict]) -> int | None:
    """The most tokens a spaCy pattern can span (None when a * or + makes it unbounded)."""
    total = 0
    for token in pattern:
        op = token.get("OP")
        if op in ("*", "+"):
            return None
        m = _REPEAT.match(op) if isinstance(op, str) else None
        if m and m.group(3):
            total += int(m.group(3))
        elif m:
            if not m.group(2):
                return None
            total += int(m.group(2))
        elif op != "!":
            total += 1
    return total


_REPEAT = re.compile(r"^\{(\d*),(\d*)\}$|^\{(\d+)\}$")


def slot_specs(token: dict) -> list[SlotSpec] | None:
    """The slots for one token dict, or None when it needs spaCy's Matcher.

    Handles {NORM|LOWER|ORTH|TEXT: x} and {...: {IN|NOT_IN: [...]}} (one word attribute),
    boolean FLAGS ({IS_ALPHA: true}), {} gaps, and OP ?, {n}, {n,m}.
    """
    op = token.get("OP")
    low, high = 1, 1
    if op == "?":
        low, high = 0, 1
    elif isinstance(op, str) and (m := _REPEAT.match(op)):
        if m.group(3):
            low = high = int(m.group(3))
        else:
            low = int(m.group(1) or 0)
            if not m.group(2):
                return None
            high = int(m.group(2))
        if high > 12 or low > high:
            return None
    elif op is not None:
        return None
    flags = tuple(sorted((k, v) for k, v in token.items() if k in FLAGS and isinstance(v, bool)))
    attrs = {k: v for k, v in token.items() if k != "OP" and k not in dict(flags)}
    if len(attrs) > 1:
        return None
    norms: tuple[str, ...] = ()
    lowers: tuple[str, ...] = ()
    orths: tuple[str, ...] = ()
    negate = False
    for attr, value in attrs.items():
        if isinstance(value, dict):
            if len(value) != 1 or not isinstance(next(iter(value.values())), list):
                return None
            ((pred, items),) = value.items()
            if pred not in ("IN", "NOT_IN"):
                return None
            negate = pred == "NOT_IN"
            values = tuple(str(v) for v in items)
        elif isinstance(value, str):
            values = (value,)
        else:
            return None
        if attr in ("ORTH", "TEXT") and not any(c.isalpha() for v in values for c in v):
            attr = "LOWER"  # no letters: case cannot matter
        if attr == "NORM":
            norms = values
        elif attr == "LOWER":
            lowers = tuple(v.lower() for v in values)
        elif attr in ("ORTH", "TEXT"):
            orths = values
        else:
            return None
    spec = SlotSpec(norms, lowers, orths, flags, not attrs and not flags, False, negate)
    required = [spec] * low
    optional = [spec._replace(optional=True)] * (high - low)
    return required + optional


def cache_key(rules: Iterable[Rule]) -> str:
    """Identifies a compiled rule set: coach, spaCy and lookup versions plus every pattern."""
    import hashlib

    import spacy

    from .. import __version__
    from .phrase_syntax import MAX_VARIANTS, SMALL

    digest = hashlib.sha256(
        f"{FORMAT}|{SMALL}|{MAX_VARIANTS}|{RUN_VARIANTS}|{__version__}|{spacy.__version__}".encode()
    )
    try:
        from importlib.metadata import version

        digest.update(version("spacy-lookups-data").encode())
    except Exception:  # noqa: BLE001 - a missing dist just means no extra key part
        pass
    for rule in rules:
        digest.update(repr((rule.id, rule.phrases, rule.unless, rule.patterns)).encode())
    return digest.hexdigest()
