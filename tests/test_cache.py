"""The compiled-phrasebook cache: hits give the same findings, edits miss, damage is ignored."""

import pytest

from coach.analyzer import Analyzer
from coach.engine import cache


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("COACH_NO_CACHE", raising=False)
    return tmp_path


def findings(analyzer, text="Sadly there's nothing I can do. You will have to call them."):
    return [(f.rule, f.text) for f in analyzer.lint_text(text).findings]


def test_second_load_comes_from_cache_with_same_results(cache_dir, test_phrasebook):
    first = Analyzer(phrasebooks=[str(test_phrasebook)], defaults=False)
    expected = findings(first)
    kinds = sorted({p.name.split("-")[0] for p in cache_dir.glob(f"*{cache.SUFFIX}")})
    assert kinds in (["book", "engine", "rules"], ["book", "engine", "rules", "table"])  # tables: once per process
    second = Analyzer(phrasebooks=[str(test_phrasebook)], defaults=False)
    assert findings(second) == expected
    assert second.engine._view is None  # loaded, not compiled
    assert second.engine.compiled  # the pattern view is rebuilt on demand


def test_edited_phrasebook_misses_the_cache(cache_dir, tmp_path, test_phrasebook):
    book = tmp_path / "book.yaml"
    book.write_text(test_phrasebook.read_text(encoding="utf-8"), encoding="utf-8")
    assert findings(Analyzer(phrasebooks=[str(book)], defaults=False))
    book.write_text(book.read_text().replace("nothing (I|we) can do", "nothing (they) can do"), encoding="utf-8")
    assert "blocking.nothing-i-can-do" not in [
        r for r, _ in findings(Analyzer(phrasebooks=[str(book)], defaults=False))
    ]


def test_editing_one_phrasebook_reparses_only_that_one(cache_dir, tmp_path, test_phrasebook, monkeypatch):
    import coach.phrasebook as module

    kept, edited = tmp_path / "kept.yaml", tmp_path / "edited.yaml"
    kept.write_text(test_phrasebook.read_text(encoding="utf-8"), encoding="utf-8")
    edited.write_text("rules: []\n", encoding="utf-8")
    module.load_rules([str(kept), str(edited)], defaults=False)
    parsed = []
    real = module.parse_phrasebook
    monkeypatch.setattr(module, "parse_phrasebook", lambda text, path: parsed.append(path) or real(text, path))
    edited.write_text("rules: []\n# edited\n", encoding="utf-8")
    module.load_rules([str(kept), str(edited)], defaults=False)
    assert parsed == [str(edited)]


def test_damaged_cache_is_ignored(cache_dir, test_phrasebook):
    expected = findings(Analyzer(phrasebooks=[str(test_phrasebook)], defaults=False))
    entries = list(cache_dir.glob(f"*{cache.SUFFIX}"))
    assert entries
    for entry in entries:
        entry.write_bytes(entry.read_bytes()[: len(entry.read_bytes()) // 2])
    assert findings(Analyzer(phrasebooks=[str(test_phrasebook)], defaults=False)) == expected


def test_cache_can_be_turned_off(monkeypatch, tmp_path):
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("COACH_NO_CACHE", "1")
    cache.store("engine", "k", {"x": 1})
    assert cache.load("engine", "k", lambda doc, blobs: doc) is None and not list(tmp_path.iterdir())


def test_old_entries_are_pruned(cache_dir):
    for i in range(cache.KEEP + 3):
        cache.store("engine", f"k{i}", i)
    assert len(list(cache_dir.glob(f"engine-*{cache.SUFFIX}"))) == cache.KEEP


def test_entries_from_a_coach_with_other_rule_fields_are_not_read(cache_dir, test_phrasebook, monkeypatch):
    """A cached Rule written when the class had other fields would be read back wrongly: the
    class layout is part of every phrasebook cache key."""
    import coach.phrasebook as module

    parsed = []
    real = module.parse_phrasebook
    monkeypatch.setattr(module, "parse_phrasebook", lambda text, path: parsed.append(path) or real(text, path))
    module.load_rules([str(test_phrasebook)], defaults=False)
    module.load_rules([str(test_phrasebook)], defaults=False)
    assert parsed == [str(test_phrasebook)]  # the second load came from the cache
    monkeypatch.setattr(module, "CACHE_SCHEMA", module.CACHE_SCHEMA + ",followed_by")  # a coach with another Rule
    module.load_rules([str(test_phrasebook)], defaults=False)
    assert parsed == [str(test_phrasebook)] * 2


# -- a cache entry is data: reading one never runs code ----------------------------------
class _Planted:
    """Unpickling this writes a marker file: what a hostile cache entry would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (eval, (f"open({self.marker!r}, 'w').write('pwned')",))


def _plant_everywhere(cache_dir, marker):
    """Replace every entry coach wrote (whatever its name) with a code-running pickle, and
    plant one under the names older coaches read (`KIND-KEY.pickle`) too."""
    import pickle

    payload = pickle.dumps(_Planted(marker))
    entries = [p for p in cache_dir.iterdir() if p.name.split("-")[0] in ("book", "rules", "engine", "table")]
    assert entries
    for entry in entries:
        entry.write_bytes(payload)
        stem = entry.name.split(".")[0]
        (cache_dir / f"{stem}.pickle").write_bytes(payload)


def test_a_planted_pickle_in_the_cache_never_runs(cache_dir, tmp_path, test_phrasebook):
    expected = findings(Analyzer(phrasebooks=[str(test_phrasebook)], defaults=False))
    marker = tmp_path / "marker"
    _plant_everywhere(cache_dir, marker)
    assert findings(Analyzer(phrasebooks=[str(test_phrasebook)], defaults=False)) == expected
    assert not marker.exists()


def test_a_planted_pickle_never_runs_in_a_fresh_coach_lint(cache_dir, tmp_path, test_phrasebook):
    """The same through the CLI, in a new process (so the lookup tables come from the cache)."""
    import subprocess
    import sys

    draft = tmp_path / "draft.txt"
    draft.write_text("Sadly there's nothing I can do.", encoding="utf-8")
    cmd = [
        sys.executable,
        "-m",
        "coach",
        "lint",
        "--file",
        str(draft),
        "--format",
        "json",
        "--no-defaults",
        "-p",
        str(test_phrasebook),
    ]
    first = subprocess.run(cmd, capture_output=True, text=True)
    marker = tmp_path / "marker"
    _plant_everywhere(cache_dir, marker)
    second = subprocess.run(cmd, capture_output=True, text=True)
    assert not marker.exists()
    assert (second.returncode, second.stdout) == (first.returncode, first.stdout) and first.returncode == 1


def test_entries_others_may_write_are_not_read(cache_dir, monkeypatch):
    cache.store("rules", "k", [])
    entry = cache_dir / f"rules-k{cache.SUFFIX}"
    read = lambda: cache.load("rules", "k", lambda doc, blobs: doc)  # noqa: E731
    assert read() == []
    entry.chmod(0o664)
    assert read() is None  # group-writable
    entry.chmod(0o600)
    assert read() == []
    monkeypatch.setattr(cache.os, "geteuid", lambda: cache.os.stat(entry).st_uid + 1)
    assert read() is None  # someone else's


def test_entries_of_another_shape_are_recompiled(cache_dir, test_phrasebook):
    """A well-formed entry whose content is not what coach wrote (tampered, or from a buggy
    coach) is refused by its decoder, and coach compiles as if the cache were empty."""
    import json

    expected = findings(Analyzer(phrasebooks=[str(test_phrasebook)], defaults=False))
    for entry in cache_dir.glob(f"*{cache.SUFFIX}"):
        data = entry.read_bytes()
        start = len(cache.MAGIC) + 8
        size = int.from_bytes(data[len(cache.MAGIC) : start], "little")
        header = json.loads(data[start : start + size])
        header["doc"] = {"rules": 1, "specs": [[1, 2, 3]], "size": -1}
        raw = json.dumps(header).encode()
        entry.write_bytes(cache.MAGIC + len(raw).to_bytes(8, "little") + raw + data[start + size :])
    assert findings(Analyzer(phrasebooks=[str(test_phrasebook)], defaults=False)) == expected


def test_cached_forms_come_back_equal(cache_dir):
    """What the cache stores is exactly what was compiled: rules, slot patterns, phrases."""
    from coach.engine.compiler import Compiled, Compiler
    from coach.engine.nlp import get_nlp
    from coach.phrasebook import load_rules

    rules = load_rules()
    assert cache.rules_from_data(cache.rules_to_data(rules)) == rules
    compiled = Compiler(get_nlp()).compile(rules)
    doc, arrays = compiled.to_cache()
    packed = cache._pack("engine", "k", doc, arrays)
    again = Compiled.from_cache(*cache._unpack(packed, "engine", "k"))
    assert again.slots == compiled.slots and again.token_patterns == compiled.token_patterns
    assert again.pattern_anchors == compiled.pattern_anchors and again.always == compiled.always
    assert again.table.by_key() == compiled.table.by_key()
    words = set(list(compiled.table.flat[:50].tolist()))
    assert again.table.by_key(words) == compiled.table.by_key(words)


def test_a_json_document_cannot_name_a_numpy_object_array(cache_dir):
    """The container lists each array's type; only plain numbers are accepted."""
    import json

    payload = cache._pack("engine", "k", {}, {"a": __import__("numpy").arange(3)})
    start = len(cache.MAGIC) + 8
    size = int.from_bytes(payload[len(cache.MAGIC) : start], "little")
    header = json.loads(payload[start : start + size])
    header["blobs"]["a"][0] = "|O"
    raw = json.dumps(header).encode()
    with pytest.raises(ValueError):
        cache._unpack(cache.MAGIC + len(raw).to_bytes(8, "little") + raw + payload[start + size :], "engine", "k")
