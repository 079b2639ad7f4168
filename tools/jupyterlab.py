"""JupyterLab from the Binder-like environment, started and stopped one way.

``running_lab(root)`` starts ``jupyter lab`` from ``_build/binder-env`` (made
from requirements.txt alone) on 127.0.0.1, port 0, with a random token, serving
``root``, and yields its URL and token. Its config, runtime, data, settings and
workspace directories are private temporary ones, so nothing from the user's
``~/.jupyter`` leaks in and nothing is written there. On exit it asks the
server to shut down (which shuts down its kernels), waits, kills the process
group if it must, and checks that the port is closed and no process is left.

Port 0: jupyter_server (2.21) binds port 0 to learn a free port, closes that
socket and listens on the port again, so another process could take it in
between; with ``--port-retries=0`` that ends the server at once with a clear
error instead of a hang. The port is read back from the server's info file
(``jpserver-<pid>.json`` in the private runtime directory).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINDER = Path(os.environ.get("BINDER_ENV", ROOT / "_build" / "binder-env"))
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
    # Run All must not write the notebook (the default autosaves every 120 s).
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
}


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def group_members(pgid: int) -> list[int]:
    """Pids of the live (non-zombie) processes in process group pgid."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="utf-8").rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def running_lab(root: Path, *, env_extra: dict[str, str] | None = None, timeout: float = 120):
    """Yield (base_url, token) of a JupyterLab serving ``root``; stop it on exit."""
    lab = BINDER / "bin" / "jupyter-lab"
    if not lab.exists():
        raise FileNotFoundError(f"{lab} not found: `make binder-env` builds it")
    token = secrets.token_hex(24)
    with tempfile.TemporaryDirectory(prefix="lab-state-") as state:
        state_dir = Path(state)
        env = dict(os.environ)
        for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR",
                     "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR"):
            env[name] = str(state_dir / name.lower())
        env.pop("JUPYTER_PATH", None)
        env["JUPYTER_PREFER_ENV_PATH"] = "1"
        env.update(env_extra or {})
        # Every cell in the page (no windowing), so the checks see them all;
        # no "get notified about news" pop-up over the screenshots; no autosave.
        for plugin, values in SETTINGS.items():
            path = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values), encoding="utf-8")
        log = (state_dir / "lab.log").open("w", encoding="utf-8")
        command = [
            str(lab), "--no-browser", "--ip=127.0.0.1", "--port=0", "--port-retries=0",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
            "--LabApp.expose_app_in_browser=True",
            # No calls home from the server: no update check, no news.
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.news_url=None",
            "--LabApp.extension_manager=readonly",
        ]
        if os.geteuid() == 0:  # a container's root; Jupyter refuses root without this
            command.append("--allow-root")
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        port = None
        try:
            info = Path(env["JUPYTER_RUNTIME_DIR"]) / f"jpserver-{process.pid}.json"
            deadline = time.monotonic() + timeout
            while port is None:
                if process.poll() is not None:
                    raise RuntimeError(f"jupyter lab exited with {process.returncode}:\n"
                                       + (state_dir / "lab.log").read_text(encoding="utf-8"))
                if time.monotonic() > deadline:
                    raise TimeoutError(f"jupyter lab did not start in {timeout} s")
                if info.exists():
                    with suppress(ValueError, KeyError):  # written, not complete yet
                        port = json.loads(info.read_text(encoding="utf-8"))["port"]
                time.sleep(0.2)
            base = f"http://127.0.0.1:{port}"
            while True:  # the info file is written just before the socket listens
                try:
                    with urllib.request.urlopen(f"{base}/api/status?token={token}",  # noqa: S310
                                                timeout=5):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            yield base, token
        finally:
            if port is not None and process.poll() is None:
                request = urllib.request.Request(  # noqa: S310 (an http:// URL)
                    f"{base}/api/shutdown", method="POST",
                    headers={"Authorization": f"token {token}"})
                with suppress(OSError):
                    urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 (http)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=10)
            deadline = time.monotonic() + 10
            while group_members(process.pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            left = group_members(process.pid)
            if left:
                os.killpg(process.pid, signal.SIGKILL)
            log.close()
            if left:
                raise RuntimeError(f"jupyter lab left processes behind: {left}")
            if port is not None and _port_open(port):
                raise RuntimeError(f"jupyter lab left port {port} open")
