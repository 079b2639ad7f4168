"""Network guard: any Python started with this directory on PYTHONPATH may
talk only to loopback.

The checks run notebooks (their kernels, and every Python those start) with
this ``sitecustomize`` loaded. An audit hook sees every socket ``connect``,
``sendto`` and name lookup; one aimed anywhere but 127.0.0.0/8, ::1,
``localhost`` or a Unix socket raises ``PermissionError`` and is appended to the
file named by ``NETGUARD_LOG``, so that even an exception swallowed by the
code under test still fails the run.
"""

import ipaddress
import os
import sys


def _is_loopback(host):
    if host in (None, "", "localhost", b"localhost"):
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return str(host).lower().endswith(".localhost")


def _refuse(event, target):
    message = f"netguard: {event} to {target!r} refused: only loopback is allowed here"
    log = os.environ.get("NETGUARD_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()} {message}\n")
    raise PermissionError(message)


_LOOKUPS = {
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "socket.gethostbyname_ex",
    "socket.gethostbyaddr",
}


def _hook(event, args):
    if event in ("socket.connect", "socket.sendto"):
        address = args[1]
        if isinstance(address, tuple) and address and not _is_loopback(address[0]):
            _refuse(event, address)
    elif event in _LOOKUPS and not _is_loopback(args[0]):
        _refuse(event, args[0])


if os.environ.get("NETGUARD_OFF") != "1":
    sys.addaudithook(_hook)
