"""``mkbench site`` / ``mkbench serve`` on the command line."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli, main

REPO = Path(__file__).resolve().parents[2]


def test_commands_are_registered():
    out = CliRunner().invoke(cli, ["--help"]).output
    assert "site" in out and "serve" in out
    help_text = CliRunner().invoke(cli, ["site", "--help"]).output
    assert "--results" in help_text and "--versioned" in help_text


def test_missing_results_is_a_clear_error(tmp_path, capsys):
    try:
        main(["site", "--results", str(tmp_path / "none"), "--out", str(tmp_path / "site")])
    except SystemExit as e:
        assert e.code == 2
    err = capsys.readouterr().err
    assert "results folder not found" in err and "--results" in err and "Traceback" not in err


def test_versioned_build_keeps_a_stable_path(engine_results, tmp_path):
    out = tmp_path / "site"
    res = CliRunner().invoke(cli, ["site", "--results", str(engine_results), "--out", str(out), "--versioned",
                                   "--bootstrap", "0", "--static-charts", "none", "--no-search", "--examples", "0"])
    assert res.exit_code == 0, res.output
    v = version("mkbench")
    assert (out / f"v{v}" / "shapes" / "index.html").is_file()
    assert f'url=v{v}/index.html' in (out / "index.html").read_text()
    assert json.loads((out / "versions.json").read_text())["latest"] == f"v{v}"
    assert not (out / f"v{v}" / "search").exists()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy
    with opener.open(url, timeout=5) as r:
        return r.status, r.read()


def test_serve_runs_the_mkdocs_dev_server_on_staged_results(engine_results, tmp_path):
    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    log = tmp_path / "serve.log"
    cmd = [sys.executable, "-c", "from generator.cli import main; main()", "serve", "--results", str(engine_results),
           "--dev-addr", f"127.0.0.1:{port}", "--bootstrap", "0", "--examples", "1", "--no-search",
           "--no-livereload"]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline, status = time.monotonic() + 120, None
        while status is None:
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "mkbench serve did not answer within 120 s:\n" + log.read_text()[-3000:]
            try:
                status, home = _get(base)
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        assert status == 200 and b"mkbench" in home
        status, board = _get(base + "demo/index.html")  # rendered from the results, ground truth included
        assert status == 200 and b'id="mk-ground-truth"' in board and b"Does AUC follow top-1" in board
        _, page = _get(base + "demo/classes/house.html")
        overlay = re.search(rb'src="\.\./(overlays/[^"]+\.png)"', page).group(1).decode()
        status, png = _get(base + "demo/" + overlay)  # result files are served too
        assert status == 200 and png[:8] == b"\x89PNG\r\n\x1a\n"
        assert "mkdocs serve" in log.read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = log.read_text()
    staging = re.search(r"staged in (\S+);", text).group(1)
    assert not Path(staging).exists()  # the temporary staging folder is removed
    assert proc.returncode == 0, text[-3000:]


def test_serve_rejects_a_bad_address(tmp_path):
    res = CliRunner().invoke(cli, ["serve", "--results", str(tmp_path), "--dev-addr", "localhost"])
    assert res.exit_code == 2 and "HOST:PORT" in res.output


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_serve_dev_server_dies_with_a_killed_parent(engine_results, tmp_path):
    """Killing `mkbench serve` with SIGKILL (no chance to clean up) must not leave its mkdocs dev server running."""
    port = _free_port()
    cmd = [sys.executable, "-c", "from generator.cli import main; main()", "serve", "--results", str(engine_results),
           "--dev-addr", f"127.0.0.1:{port}", "--bootstrap", "0", "--examples", "1", "--no-search",
           "--no-livereload"]
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "mkbench serve did not answer within 120 s"
            try:
                if _get(f"http://127.0.0.1:{port}/")[0] == 200:
                    break
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        kids = _children(proc.pid)
        assert kids, "the dev server runs as a child process"
        proc.kill()
        proc.wait(timeout=10)
        deadline = time.monotonic() + 15
        while any(Path(f"/proc/{k}").exists() and "zombie" not in _state(k) for k in kids):
            assert time.monotonic() < deadline, f"dev server {kids} outlived its killed parent"
            time.sleep(0.2)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0].lower()
    except (OSError, IndexError):
        return "zombie"
