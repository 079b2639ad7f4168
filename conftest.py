"""Session-wide checks shared by the unit tests and the notebook run."""

import os
from pathlib import Path


def pytest_sessionfinish(session, exitstatus):
    """Fail the run if the network guard refused anything, even a refusal that
    the code under test caught and ignored (see tests/netguard)."""
    log = os.environ.get("NETGUARD_LOG")
    if log and Path(log).exists() and Path(log).read_text(encoding="utf-8").strip():
        print(f"\nnetguard: connections beyond loopback were attempted:\n"
              f"{Path(log).read_text(encoding='utf-8')}")
        session.exitstatus = 1
