"""Session-wide checks shared by the unit tests and the notebook run."""

import datetime
import json
import os
import platform
from collections import defaultdict
from pathlib import Path

_notebook_runs: dict[str, dict] = defaultdict(lambda: {"seconds": 0.0, "cells": 0, "failed": 0})
# A notebook's record in the statistics file: seconds (one execution), cells
# compared, status, and (from the run-twice check) peak memory in MiB.


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
    """Add up the notebook runs into one record per notebook: nbval's per-cell
    reports, or the one report per notebook of tests/test_notebook_hygiene.py
    (which records its run-1 time, cells compared and peak memory)."""
    path, _, rest = report.nodeid.partition("::")
    if path.endswith(".ipynb"):
        record = _notebook_runs[Path(path).name]
        record["seconds"] += report.duration
        record["cells"] += report.when == "call"
    elif path.endswith("test_notebook_hygiene.py") and rest.startswith("test_runs_twice"):
        record = _notebook_runs[rest[rest.index("[") + 1:-1]]
        props = dict(report.user_properties)
        record["seconds"] = props.get("notebook_seconds", record["seconds"])
        record["cells"] = props.get("notebook_cells", record["cells"])
        if "peak_mib" in props:
            record["peak_mib"] = props["peak_mib"]
    else:
        return
    if report.failed:
        record["failed"] += 1


def _usable_cpus() -> int | None:
    """The CPUs this process may run on (taskset, cgroups' cpusets), not the machine's."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count()


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
                **({"peak_mib": round(record["peak_mib"])} if "peak_mib" in record else {}),
            }
            for name, record in sorted(_notebook_runs.items())
        }
        stats = {
            "finished": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "python": platform.python_version(),
            "cpus": _usable_cpus(),
            "environment": session.config.getoption("--execution-environment"),
            "total_seconds": round(sum(r["seconds"] for r in notebooks.values()), 1),
            "notebooks": notebooks,
        }
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
