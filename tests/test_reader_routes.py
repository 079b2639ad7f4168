"""The how-to page's two local routes, run exactly as printed.

``book/how-to-use.md`` prints two ways to run the notebooks on one's own
machine, one with ``make`` and one without; each is a ``console`` block whose
last command starts JupyterLab. This test takes every such block from the page,
and runs its commands one by one, as printed, in an empty temporary directory
(the only change: ``git clone <the book's URL>`` clones this repository's
committed HEAD instead; the URL must be ``repository.url``). The environment
is a reader's: none of the checks' PYTHONPATH, network guard or JUPYTER_*
settings, only a private runtime directory, a token and port 0. The last
command is the server: it must answer on 127.0.0.1 with JupyterLab,
jupyterlab-myst, a Python kernel and every chapter notebook, the book's
package must be the clone's own (editable), and it must shut down cleanly,
leaving no process or port behind.

The routes themselves are slow (each builds a virtual environment from the
package registry, as a reader's machine does), so marked ``slow`` and kept out
of the fast unit run: ``make reader-routes`` runs them.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import socket
import subprocess
import tempfile
import time
import urllib.request
from contextlib import suppress
from pathlib import Path

import pytest
import yaml
from jupyterlab import group_members

ROOT = Path(__file__).resolve().parent.parent
HOW_TO = ROOT / "book" / "how-to-use.md"
BLOCK = re.compile(r"^```console\n(.*?)^```", re.MULTILINE | re.DOTALL)


def routes() -> list[list[str]]:
    """The console blocks of the how-to page that end by starting JupyterLab."""
    found = []
    for block in BLOCK.findall(HOW_TO.read_text(encoding="utf-8")):
        commands = [line[2:].split("  #")[0].strip() for line in block.splitlines()
                    if line.startswith("$ ")]
        if commands and ("jupyter lab" in commands[-1] or commands[-1] == "make lab"):
            found.append(commands)
    return found


ROUTES = routes()


def test_the_how_to_page_prints_a_route_with_make_and_one_without():
    assert any(route[-1] == "make lab" for route in ROUTES), ROUTES
    assert any(route[-1] != "make lab" and not any(c.startswith("make") for c in route)
               for route in ROUTES), ROUTES


def test_the_routes_clone_the_repository_named_in_the_config():
    url = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["repository"]["url"]
    clones = [command for route in ROUTES for command in route if command.startswith("git clone")]
    assert clones and all(shlex.split(c)[2] == url for c in clones), clones


def _get(url: str, token: str) -> bytes:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (http)
        return response.read()


@pytest.mark.slow
@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route[-1].split()[0])
def test_route_starts_jupyterlab_with_the_book(route):
    with tempfile.TemporaryDirectory(prefix="reader-route-") as tmp:
        cwd = Path(tmp)
        token = secrets.token_hex(16)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("JUPYTER", "VIRTUAL", "NETGUARD", "PYTHON"))}
        env.update({
            "JUPYTER_PORT": "0",  # the server binds a free port; read back below
            "JUPYTER_TOKEN": token,
            "JUPYTER_RUNTIME_DIR": str(cwd / "runtime"),
            "JUPYTER_CONFIG_DIR": str(cwd / "config"),
            "JUPYTER_DATA_DIR": str(cwd / "data"),
            "BROWSER": "true",  # webbrowser opens nothing
        })
        if os.geteuid() == 0:  # a container's or CI's root: Jupyter refuses root without this
            (cwd / "config").mkdir()
            (cwd / "config" / "jupyter_server_config.json").write_text(
                json.dumps({"ServerApp": {"allow_root": True}}), encoding="utf-8")
        for command in route[:-1]:
            argv = shlex.split(command)
            if argv[0] == "cd":
                cwd = cwd / argv[1]
                continue
            if argv[:2] == ["git", "clone"]:
                target = argv[3:] or [argv[2].rstrip("/").rsplit("/", 1)[-1]]
                argv = ["git", "clone", "--quiet", str(ROOT), *target]
            subprocess.run(argv, cwd=cwd, env=env, check=True, timeout=1800)
        log_path = Path(tmp) / "server.log"
        log = log_path.open("w", encoding="utf-8")
        server = subprocess.Popen(shlex.split(route[-1]), cwd=cwd, env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        info = None
        try:
            runtime = Path(env["JUPYTER_RUNTIME_DIR"])
            deadline = time.monotonic() + 1800  # make lab builds its environment first
            while info is None:
                assert server.poll() is None, (f"{route[-1]!r} exited with {server.returncode}:\n"
                                               + log_path.read_text(encoding="utf-8")[-3000:])
                assert time.monotonic() < deadline, f"{route[-1]!r} did not start"
                for path in runtime.glob("jpserver-*.json"):
                    with suppress(ValueError):  # written, not complete yet
                        info = json.loads(path.read_text(encoding="utf-8"))
                time.sleep(1)
            assert info["hostname"] == "127.0.0.1" or info["url"].startswith("http://127.0.0.1:")
            base = f"http://127.0.0.1:{info['port']}"
            for _ in range(60):
                try:
                    _get(f"{base}/api/status", token)
                    break
                except OSError:
                    time.sleep(1)
            lab = _get(f"{base}/lab", token).decode("utf-8")
            assert "jupyterlab-myst" in lab, "the MyST extension is installed"
            specs = json.loads(_get(f"{base}/api/kernelspecs", token))
            assert any(spec["spec"]["language"] == "python" for spec in specs["kernelspecs"]
                       .values())
            listing = json.loads(_get(f"{base}/api/contents", token))
            names = {item["name"] for item in listing["content"]}
            if "notebooks" in names:
                listing = json.loads(_get(f"{base}/api/contents/notebooks", token))
                names = {item["name"] for item in listing["content"]}
            chapters = {path.name for path in (ROOT / "notebooks").glob("*.ipynb")}
            assert chapters <= names, chapters - names
            kernel_python = next(path for path in (cwd / ".venv/bin/python",
                                                   cwd / "_build/binder-env/bin/python")
                                 if path.exists())
            where = subprocess.run(
                [str(kernel_python), "-c", "import stdlib_book; print(stdlib_book.__file__)"],
                cwd="/", env=env, capture_output=True, text=True, check=True).stdout.strip()
            assert Path(where).is_relative_to(cwd / "src"), f"not the clone's own package: {where}"
        finally:
            if server.poll() is None:
                request = urllib.request.Request(  # noqa: S310 (an http:// URL)
                    f"{base}/api/shutdown", method="POST",
                    headers={"Authorization": f"token {token}"}) if info else None
                if request is not None:
                    with suppress(OSError):
                        urllib.request.urlopen(request, timeout=10).close()  # noqa: S310
                try:
                    server.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(server.pid, 15)
                    server.wait(timeout=30)
            deadline = time.monotonic() + 30
            while group_members(server.pid) and time.monotonic() < deadline:
                time.sleep(0.5)
            left = group_members(server.pid)
            if left:
                os.killpg(server.pid, 9)
            log.close()
        assert not left, f"{route[-1]!r} left processes behind: {left}"
        assert server.returncode == 0, f"{route[-1]!r} ended with {server.returncode}"
        if info:
            with socket.socket() as probe:
                assert probe.connect_ex(("127.0.0.1", info["port"])) != 0, "port left open"
