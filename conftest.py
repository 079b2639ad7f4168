"""Session-wide checks shared by the unit tests and the notebook run."""

import datetime
import json
import os
import platform
from collections import defaultdict
from pathlib import Path

_notebook_runs: dict[str, dict] = defaultdict(lambda: {"seconds": 0.0, "cells": 0, "failed": 0})


def pytest_addoption(parser):
    parser.addoption(
        "--execution-stats",
        metavar="PATH",
        help="write each notebook's execution time and status (nbval runs) to PATH as JSON",
    )
    parser.addoption(
        "--execution-environment",
        default="the developer environment",
        help="how the kernel's environment was made, for the statistics page",
    )


def pytest_runtest_logreport(report):
    """Add up nbval's per-cell reports into one record per notebook."""
    path, _, cell = report.nodeid.partition("::")
    if not path.endswith(".ipynb"):
        return
    record = _notebook_runs[Path(path).name]
    record["seconds"] += report.duration
    if report.when == "call":
        record["cells"] += 1
    if report.failed:
        record["failed"] += 1


def pytest_sessionfinish(session, exitstatus):
    """Fail the run if the network guard refused anything, even a refusal that
    the code under test caught and ignored (see tests/netguard); write the
    execution statistics if asked."""
    log = os.environ.get("NETGUARD_LOG")
    if log and Path(log).exists() and Path(log).read_text(encoding="utf-8").strip():
        print(f"\nnetguard: connections beyond loopback were attempted:\n"
              f"{Path(log).read_text(encoding='utf-8')}")
        session.exitstatus = 1
    target = session.config.getoption("--execution-stats")
    if target and _notebook_runs:
        notebooks = {
            f"notebooks/{name}": {
                "seconds": round(record["seconds"], 1),
                "cells": record["cells"],
                "status": "passed" if not record["failed"] else f"{record['failed']} failed",
            }
            for name, record in sorted(_notebook_runs.items())
        }
        stats = {
            "finished": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "python": platform.python_version(),
            "environment": session.config.getoption("--execution-environment"),
            "total_seconds": round(sum(r["seconds"] for r in notebooks.values()), 1),
            "notebooks": notebooks,
        }
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
