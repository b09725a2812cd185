"""A throwaway PostgreSQL server for the store tests: initdb + pg_ctl in a temporary folder,
listening only on a Unix socket there, run as an unprivileged user (root cannot run postgres).

Used by tests/conftest.py (when COACH_TEST_POSTGRES names no server) and by .ci/run:
    python3 tests/pgserver.py start   # prints the URL, then `stop URL` ends it
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from urllib.parse import parse_qs, urlparse

DATABASE = "coach_test"


def binaries() -> str | None:
    """The folder with initdb and pg_ctl: on PATH, else Debian's /usr/lib/postgresql/N/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return os.path.dirname(os.path.realpath(found))
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(folder, "initdb")):
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start() -> tuple[str | None, str]:
    """(URL of a fresh server, "") or (None, why none could be started)."""
    folder = binaries()
    if folder is None:
        return None, "no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql"
    user = None
    as_user: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root: use its own account, else nobody
        for name in ("postgres", "nobody"):
            try:
                user = pwd.getpwnam(name)
                break
            except KeyError:
                continue
        if user is None or not shutil.which("runuser"):
            return None, "running as root with no postgres/nobody account or runuser to start a server"
        as_user = ["runuser", "-u", user.pw_name, "--"]
    base = tempfile.mkdtemp(prefix="coach-pg-")
    os.chmod(base, 0o755)
    data = os.path.join(base, "data")
    if user is not None:
        os.chown(base, user.pw_uid, user.pw_gid)
    port = _free_port()
    role = user.pw_name if user is not None else pwd.getpwuid(os.geteuid()).pw_name

    def run(*cmd: str) -> subprocess.CompletedProcess:
        return subprocess.run([*as_user, *cmd], capture_output=True, text=True, timeout=120, cwd=base)

    steps = [
        (os.path.join(folder, "initdb"), "-D", data, "-A", "trust", "-U", role, "--no-sync", "-E", "UTF8"),
        (
            os.path.join(folder, "pg_ctl"),
            "-D",
            data,
            "-l",
            os.path.join(base, "log"),
            "-w",
            "-o",
            f"-k {base} -p {port} -c listen_addresses='' -c fsync=off -c full_page_writes=off",
            "start",
        ),
    ]
    for cmd in steps:
        try:
            done = run(*cmd)
        except (OSError, subprocess.TimeoutExpired) as exc:
            shutil.rmtree(base, ignore_errors=True)
            return None, f"{os.path.basename(cmd[0])} failed: {exc}"
        if done.returncode != 0:
            shutil.rmtree(base, ignore_errors=True)
            return None, f"{os.path.basename(cmd[0])} failed: {(done.stderr or done.stdout).strip()[-300:]}"
    created = run(os.path.join(folder, "createdb"), "-h", base, "-p", str(port), "-U", role, DATABASE)
    if created.returncode != 0:
        stop(f"postgresql://{role}@/{DATABASE}?host={base}&port={port}")
        return None, f"createdb failed: {created.stderr.strip()[-300:]}"
    return f"postgresql://{role}@/{DATABASE}?host={base}&port={port}", ""


def stop(url: str) -> None:
    """Stop a server `start` made and remove its folder."""
    query = parse_qs(urlparse(url).query)
    base = query.get("host", [""])[0]
    if not base or not os.path.basename(base).startswith("coach-pg-"):
        return  # not ours
    folder = binaries()
    as_user = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", pwd.getpwuid(os.stat(base).st_uid).pw_name, "--"]
    if folder:
        subprocess.run(
            [
                *as_user,
                os.path.join(folder, "pg_ctl"),
                "-D",
                os.path.join(base, "data"),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
            capture_output=True,
            timeout=60,
            cwd=base,
        )
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["start"]:
        url, why = start()
        if url is None:
            print(f"pgserver: {why}", file=sys.stderr)
            sys.exit(1)
        print(url)
    elif sys.argv[1:2] == ["stop"] and len(sys.argv) == 3:
        stop(sys.argv[2])
    else:
        sys.exit("usage: pgserver.py start | stop URL")
