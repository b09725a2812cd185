"""The wheel ships the phrasebooks, the bundled model and the serve page's assets: build it,
install it in a fresh venv, load them from there."""

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_contains_and_loads_phrasebooks(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)], check=True, cwd=tmp_path
    )
    (wheel,) = dist.glob("*.whl")
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()  # Spark's local log settings travel in the wheel too
    assert "coach/spark/log4j2.properties" in names and "coach/spark/worker.py" in names
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
        check=True,
        cwd=tmp_path,
    )
    probe = (
        "import json, coach; from coach.phrasebook import builtin_dir, builtin_paths, load_rules;"
        "from coach.model import store;"
        "print(json.dumps({'pkg': coach.__file__, 'dir': str(builtin_dir()),"
        " 'books': [p.rsplit('/', 1)[-1] for p in builtin_paths()], 'rules': len(load_rules()),"
        " 'model': str(store.BUNDLED), 'labels': list(store.load(store.BUNDLED).labels),"
        " 'page': __import__('coach.serve.page').serve.page.render_page().decode()}))"
    )
    out = subprocess.run([str(python), "-c", probe], check=True, cwd=tmp_path, capture_output=True, text=True).stdout
    info = json.loads(out)
    assert info["pkg"].startswith(str(env_dir)), info
    assert info["dir"].startswith(str(env_dir)) and info["dir"].endswith("coach/phrasebooks")
    assert "blocking.yaml" in info["books"] and info["rules"] > 0
    assert info["model"].startswith(str(env_dir)) and "blocking" in info["labels"]
    assert "function unitsOf" in info["page"] and "#marks mark.hl" in info["page"]  # static/page.js, .css
    lint = subprocess.run(
        [str(env_dir / "bin" / "coach"), "lint", "--format", "json", "There's nothing I can do."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 1, lint.stderr
    assert json.loads(lint.stdout)["results"][0]["findings"]
