"""Configuration: discovery, pyproject vs .coach.yaml, validation messages, per-path and CLI overrides."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from coach.config import Settings, find_config, load_settings, merge_cli, settings_for
from coach.errors import ConfigError, UsageError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_when_nothing_is_found(tmp_path):
    assert find_config(str(tmp_path)) is None
    assert load_settings(start=str(tmp_path)) == Settings()


def test_discovery_walks_upward_and_skips_pyprojects_without_a_table(tmp_path):
    top = write(tmp_path / "pyproject.toml", "[tool.coach]\nfail-on = 'error'\n")
    write(tmp_path / "pkg" / "pyproject.toml", "[project]\nname = 'pkg'\n")
    deep = tmp_path / "pkg" / "macros" / "billing"
    deep.mkdir(parents=True)
    assert find_config(str(deep)) == str(top)
    assert find_config(str(deep / "refund.md")) == str(top)  # a file path starts from its folder
    yaml_cfg = write(tmp_path / "pkg" / "macros" / ".coach.yaml", "fail-on: info\n")
    assert find_config(str(deep)) == str(yaml_cfg)
    s = load_settings(start=str(deep))
    assert s.fail_on == "info" and s.root == str(yaml_cfg.parent) and s.path == str(yaml_cfg)


def test_yaml_wins_over_pyproject_in_the_same_folder(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.coach]\nfail-on = 'error'\n")
    write(tmp_path / ".coach.yml", "fail-on: never\n")
    assert load_settings(start=str(tmp_path)).fail_on == "never"


def test_pyproject_all_keys(tmp_path):
    cfg = write(
        tmp_path / "pyproject.toml",
        """
[tool.coach]
phrasebooks = ["phrasebooks/house.yaml", "/abs/other.yaml"]
no-defaults = true
select = ["blocking", "apology.regret"]
ignore = ["advocacy"]
fail_on = "error"
min-score = 70
require-complete-apology = true
include = ["macros/**"]
exclude = ["macros/legacy/**"]
format = "json"

[tool.coach.per-path."macros/drafts/**"]
fail-on = "never"
ignore = ["blocking.policy"]
""",
    )
    s = load_settings(str(cfg))
    assert s == Settings(
        phrasebooks=(str(tmp_path / "phrasebooks" / "house.yaml"), os.path.normpath("/abs/other.yaml")),
        no_defaults=True,
        select=("blocking", "apology.regret"),
        ignore=("advocacy",),
        fail_on="error",
        min_score=70,
        require_complete_apology=True,
        include=("macros/**",),
        exclude=("macros/legacy/**",),
        per_path=(("macros/drafts/**", {"fail_on": "never", "ignore": ("blocking.policy",)}),),
        format="json",
        root=str(tmp_path),
        path=str(cfg),
    )


def test_yaml_config(tmp_path):
    cfg = write(
        tmp_path / ".coach.yaml",
        """# house rules
phrasebooks: [house.yaml]
ignore: apology.regret, non_apology
min_score: 80
per-path:
  "legacy/**": {ignore: [blocking], min-score: 0}
""",
    )
    s = load_settings(str(cfg))
    assert s.phrasebooks == (str(tmp_path / "house.yaml"),)
    assert s.ignore == ("apology.regret", "non_apology") and s.min_score == 80
    assert s.per_path == (("legacy/**", {"ignore": ("blocking",), "min_score": 0}),)


def test_empty_yaml_and_pyproject_without_table(tmp_path):
    assert load_settings(str(write(tmp_path / ".coach.yaml", "# nothing yet\n"))).fail_on == "warning"
    cfg = write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    assert load_settings(str(cfg)) == Settings(root=str(tmp_path), path=str(cfg))


@pytest.mark.parametrize(
    "name, text, message, line",
    [
        (
            "pyproject.toml",
            "[project]\nname = 'x'\n\n[tool.coach]\nselect = ['a']\nfail_onn = 'error'\n",
            "unknown key 'fail_onn' in [tool.coach]; did you mean 'fail-on'?",
            6,
        ),
        (
            ".coach.yaml",
            "select: [a]\n\nmin-scor: 3\n",
            "unknown key 'min-scor' in .coach.yaml; did you mean 'min-score'?",
            3,
        ),
        (".coach.yaml", "per-path:\n  'x/**':\n    include: [y]\n", "'include' cannot be set in per-path 'x/**'", 3),
        (".coach.yaml", "per-path:\n  'x/**':\n    fail-onn: info\n", "did you mean 'fail-on'", 3),
        (".coach.yaml", "colour: red\n", "unknown key 'colour' in .coach.yaml", 1),
        (".coach.yaml", "fail-on: always\n", "'fail-on' in .coach.yaml must be one of info, warning, error, never", 1),
        (".coach.yaml", "no-defaults: 'yes'\n", "must be true or false, got a string", 1),
        (".coach.yaml", "\nmin-score: 101\n", "must be a whole number from 0 to 100", 2),
        (".coach.yaml", "min-score: true\n", "must be a whole number", 1),
        (".coach.yaml", "select: [Bad Id]\n", "'Bad Id' is not a valid rule id", 1),
        (".coach.yaml", "phrasebooks: 3\n", "must be a list of paths, got a number", 1),
        (".coach.yaml", "per-path: [a]\n", "must map globs to tables", 1),
        (".coach.yaml", "fail-on: info\nfail_on: error\n", "'fail_on' is set twice", 2),
        (".coach.yaml", "fail-on: info\nfail-on: error\n", "duplicate key 'fail-on'", 2),
        (".coach.yaml", "- a\n- b\n", "must be a table of settings, got a list", None),
        (".coach.yaml", "select: [a\n", "invalid YAML", 2),
        ("pyproject.toml", "[tool.coach]\nselect = [\n", "invalid TOML", 2),
        ("pyproject.toml", "[tool.coach]\nselect = ['a']\nselect = ['b']\n", "invalid TOML", 3),
        ("pyproject.toml", "[tool.coach]\nformat = 3\n", "'format' in [tool.coach] must be an output format name", 2),
        ("pyproject.toml", "[tool]\ncoach = 3\n", "[tool.coach] must be a table of settings", 1),
    ],
)
def test_bad_configs(tmp_path, name, text, message, line):
    cfg = write(tmp_path / name, text)
    with pytest.raises(ConfigError) as info:
        load_settings(str(cfg))
    assert message in info.value.message
    assert info.value.path == str(cfg) and info.value.line == line
    assert "\n" not in str(info.value)


def test_unknown_key_without_a_close_match_lists_valid_keys(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_settings(str(write(tmp_path / ".coach.yaml", "zzz: 1\n")))
    assert "did you mean" not in info.value.message and "fail-on" in info.value.hint


def test_missing_and_unsupported_config_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(str(tmp_path / "nope.yaml"))
    with pytest.raises(ConfigError, match="unsupported config file type"):
        load_settings(str(write(tmp_path / "coach.ini", "[coach]\n")))


def test_per_path_overrides(tmp_path):
    cfg = write(
        tmp_path / ".coach.yaml",
        """ignore: [advocacy]
fail-on: error
per-path:
  "macros/legacy/**": {ignore: [blocking.policy], fail-on: never}
  "*.txt": {min-score: 50}
""",
    )
    s = load_settings(str(cfg))
    legacy = settings_for(s, str(tmp_path / "macros" / "legacy" / "old.md"))
    assert legacy.ignore == ("advocacy", "blocking.policy") and legacy.fail_on == "never"
    txt = settings_for(s, str(tmp_path / "macros" / "legacy" / "old.txt"))
    assert txt.min_score == 50 and txt.fail_on == "never"
    other = settings_for(s, str(tmp_path / "macros" / "new.md"))
    assert other == s


def test_merge_cli(tmp_path):
    s = Settings(fail_on="error", select=("blocking",), min_score=60)
    merged = merge_cli(s, fail_on=None, select=["apology"], min_score=None, no_defaults=True, format="sarif")
    assert merged.fail_on == "error" and merged.select == ("apology",) and merged.min_score == 60
    assert merged.no_defaults is True and merged.format == "sarif"
    with pytest.raises(UsageError, match="--fail-on must be one of"):
        merge_cli(s, fail_on="sometimes")
    with pytest.raises(TypeError):
        merge_cli(s, colour="red")


def test_toml_lines_for_nested_per_path_keys(tmp_path):
    cfg = write(
        tmp_path / "pyproject.toml",
        '[tool.coach]\nselect = ["a"]\n\n[tool.coach.per-path."drafts/**"]\nfail-on = "never"\nmin-scor = 3\n',
    )
    with pytest.raises(ConfigError, match="did you mean 'min-score'") as info:
        load_settings(str(cfg))
    assert info.value.line == 6
