"""The compiled-phrasebook cache: hits give the same findings, edits miss, damage is ignored."""

import pytest

from coach.engine import cache
from coach.analyzer import Analyzer


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
    kinds = sorted({p.name.split("-")[0] for p in cache_dir.glob("*.pickle")})
    assert kinds in (["book", "engine", "rules"], ["book", "engine", "rules", "table"])  # tables: once per process
    second = Analyzer(phrasebooks=[str(test_phrasebook)], defaults=False)
    assert findings(second) == expected
    assert second.engine._view is None  # loaded, not compiled
    assert second.engine.compiled  # the pattern view is rebuilt on demand


def test_edited_phrasebook_misses_the_cache(cache_dir, tmp_path, test_phrasebook):
    book = tmp_path / "book.yaml"
    book.write_text(test_phrasebook.read_text(encoding="utf-8"), encoding="utf-8")
    assert findings(Analyzer(phrasebooks=[str(book)], defaults=False))
    book.write_text(book.read_text().replace("nothing (I|we) can do", "nothing (they) can do"),
                    encoding="utf-8")
    assert "blocking.nothing-i-can-do" not in [r for r, _ in findings(
        Analyzer(phrasebooks=[str(book)], defaults=False))]


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
    for entry in cache_dir.glob("*.pickle"):
        entry.write_bytes(b"\x80garbage")
    assert findings(Analyzer(phrasebooks=[str(test_phrasebook)], defaults=False)) == expected


def test_cache_can_be_turned_off(monkeypatch, tmp_path):
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("COACH_NO_CACHE", "1")
    cache.store("engine", "k", {"x": 1})
    assert cache.load("engine", "k") is None and not list(tmp_path.iterdir())


def test_old_entries_are_pruned(cache_dir):
    for i in range(cache.KEEP + 3):
        cache.store("engine", f"k{i}", i)
    assert len(list(cache_dir.glob("engine-*.pickle"))) == cache.KEEP


def test_pickles_from_a_coach_with_other_rule_fields_are_not_read(cache_dir, test_phrasebook, monkeypatch):
    """A cached Rule written when the class had other fields would unpickle into the wrong
    slots: the class layout is part of every phrasebook cache key."""
    import coach.phrasebook as module

    parsed = []
    real = module.parse_phrasebook
    monkeypatch.setattr(module, "parse_phrasebook", lambda text, path: parsed.append(path) or real(text, path))
    module.load_rules([str(test_phrasebook)], defaults=False)
    module.load_rules([str(test_phrasebook)], defaults=False)
    assert parsed == [str(test_phrasebook)]  # the second load came from the cache
    monkeypatch.setattr(module, "MODEL", module.MODEL + ",followed_by")  # a coach with another Rule
    module.load_rules([str(test_phrasebook)], defaults=False)
    assert parsed == [str(test_phrasebook)] * 2
