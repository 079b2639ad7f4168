"""Chapter 6 helpers: password storage, signed requests and local TLS.

Everything here follows current practice rather than the shortest code:

* passwords are stored with a *slow*, salted key-derivation function
  (``hashlib.scrypt`` or ``hashlib.pbkdf2_hmac``) at OWASP's current figures,
  with the parameters written next to the hash so they can be raised later;
* comparisons of secrets use :func:`hmac.compare_digest`, which takes the same
  time wherever the first difference is;
* every random value that must not be guessed comes from :mod:`secrets`;
* TLS contexts come from :func:`ssl.create_default_context` with the *purpose*
  that matches the side of the connection, so certificate and host name
  checks stay on.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import random
import re
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from .selfcheck import Checker, Feedback, run_checks
from .servers import serve_tcp

# --------------------------------------------------------------------------
# Password storage
# --------------------------------------------------------------------------

#: OWASP Password Storage Cheat Sheet: scrypt with N=2**17, r=8, p=1 ...
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
#: ... or PBKDF2-HMAC-SHA256 with 600,000 iterations (FIPS-140 friendly).
PBKDF2_ITERATIONS = 600_000
#: 16 random bytes (128 bits): enough that no two accounts share a salt.
SALT_BYTES = 16
#: Length of the derived key stored for each password, in bytes.
KEY_BYTES = 32
#: A stored record may not ask for more work than this (a tampered database
#: must not be able to make one login take minutes or exhaust memory).
MAX_SCRYPT_N = 2**20
#: scrypt holds 128 * n * r bytes while it runs (128 MiB at the policy's
#: figures) and does work in proportion to n * r * p: a stored record may ask
#: for at most twice the memory and four times the work of the policy.
MAX_SCRYPT_MEMORY = 2 * 128 * SCRYPT_N * SCRYPT_R
MAX_SCRYPT_WORK = 4 * SCRYPT_N * SCRYPT_R * SCRYPT_P
MAX_PBKDF2_ITERATIONS = 10_000_000
#: Longer passwords are refused: no human types this, and it bounds the work.
MAX_PASSWORD_BYTES = 1024
#: The longest salt or hash a stored record may hold (this module writes 16 and 32).
MAX_SALT_OR_KEY_BYTES = 64


class PasswordRecordError(ValueError):
    """A stored password record is malformed or asks for unsafe parameters."""


@dataclass(frozen=True)
class ScryptParams:
    """scrypt's cost parameters: ``n`` (CPU/memory cost, a power of two),
    ``r`` (block size) and ``p`` (parallelism)."""

    n: int = SCRYPT_N
    r: int = SCRYPT_R
    p: int = SCRYPT_P

    def __post_init__(self) -> None:
        if self.n < 2 or self.n & (self.n - 1):
            raise ValueError(f"scrypt n must be a power of two >= 2, got {self.n}")
        if self.n > MAX_SCRYPT_N:
            raise ValueError(f"scrypt n must be at most {MAX_SCRYPT_N}, got {self.n}")
        if not 1 <= self.r <= 32 or not 1 <= self.p <= 16:
            raise ValueError(f"scrypt r must be 1..32 and p 1..16, got r={self.r}, p={self.p}")
        # Each check below stops a tampered record before hashlib sees it: the
        # first two bound one login's memory and time, the third is OpenSSL's
        # rule n < 2**(16 * r), which otherwise fails inside hashlib.scrypt.
        if 128 * self.n * self.r > MAX_SCRYPT_MEMORY:
            raise ValueError(f"scrypt n={self.n}, r={self.r} needs {128 * self.n * self.r:,}"
                             f" bytes, over the limit of {MAX_SCRYPT_MEMORY:,}")
        if self.n * self.r * self.p > MAX_SCRYPT_WORK:
            raise ValueError(f"scrypt n*r*p = {self.n * self.r * self.p:,} is over the limit"
                             f" of {MAX_SCRYPT_WORK:,} (4 times the policy's work)")
        if self.n >= 2 ** (16 * self.r):
            raise ValueError(f"scrypt n must be below 2**(16*r) = {2 ** (16 * self.r)},"
                             f" got n={self.n}, r={self.r}")

    @property
    def maxmem(self) -> int:
        """Memory scrypt needs, in bytes, as OpenSSL counts it.

        OpenSSL refuses to run scrypt above ``maxmem`` and Python passes a
        default of 32 MiB, but N=2**17, r=8 needs 128 * r * N = 128 MiB, so
        the OWASP parameters fail with "memory limit exceeded" unless
        ``maxmem`` is given. OpenSSL's own formula adds ``128 * r * (p + 2)``.

        >>> ScryptParams().maxmem
        134220800
        """
        return 128 * self.r * (self.n + self.p + 2)

    def encode(self) -> str:
        return f"n={self.n},r={self.r},p={self.p}"


@dataclass(frozen=True)
class Pbkdf2Params:
    """PBKDF2-HMAC-SHA256's only cost parameter: the iteration count."""

    iterations: int = PBKDF2_ITERATIONS

    def __post_init__(self) -> None:
        if not 1 <= self.iterations <= MAX_PBKDF2_ITERATIONS:
            raise ValueError(
                f"iterations must be between 1 and {MAX_PBKDF2_ITERATIONS}, got {self.iterations}"
            )

    def encode(self) -> str:
        return f"i={self.iterations}"


Params = ScryptParams | Pbkdf2Params
SCHEMES = {"scrypt": ScryptParams, "pbkdf2_sha256": Pbkdf2Params}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _password_bytes(password: str | bytes) -> bytes:
    if isinstance(password, str):
        password = password.encode("utf-8")
    if not isinstance(password, bytes):
        raise TypeError(f"password must be str or bytes, got {type(password).__name__}")
    if len(password) > MAX_PASSWORD_BYTES:
        raise ValueError(f"password longer than {MAX_PASSWORD_BYTES} bytes")
    return password


#: How many password hashes may run at once in this process. Each scrypt call
#: at OWASP's figures holds 128 MiB: a burst of 100 logins would ask for 12.5 GiB.
MAX_CONCURRENT_HASHES = 4
_hashing_slots = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)


def _derive(password: bytes, salt: bytes, params: Params, length: int) -> bytes:
    with _hashing_slots:  # the others wait here, holding no memory yet
        if isinstance(params, ScryptParams):
            return hashlib.scrypt(password, salt=salt, n=params.n, r=params.r, p=params.p,
                                  maxmem=params.maxmem, dklen=length)
        return hashlib.pbkdf2_hmac("sha256", password, salt, params.iterations, dklen=length)


def _scheme_of(params: Params) -> str:
    return "scrypt" if isinstance(params, ScryptParams) else "pbkdf2_sha256"


def hash_password(password: str | bytes, params: Params | None = None) -> str:
    """Hash ``password`` for storage; return ``scheme$params$salt$hash``.

    A fresh 16-byte salt comes from :mod:`secrets` on every call, so the same
    password gives a different record each time. The record carries its own
    parameters, so :func:`verify_password` needs nothing else, and
    :func:`needs_rehash` can tell when the parameters have been raised.

    >>> record = hash_password("correct horse", ScryptParams(n=2**10))
    >>> record.split("$")[:2]
    ['scrypt', 'n=1024,r=8,p=1']
    >>> verify_password("correct horse", record), verify_password("wrong", record)
    (True, False)
    """
    params = ScryptParams() if params is None else params
    if not isinstance(params, ScryptParams | Pbkdf2Params):
        raise TypeError(f"params must be ScryptParams or Pbkdf2Params, got {params!r}")
    salt = secrets.token_bytes(SALT_BYTES)
    key = _derive(_password_bytes(password), salt, params, KEY_BYTES)
    return "$".join([_scheme_of(params), params.encode(), _b64(salt), _b64(key)])


def parse_record(record: str) -> tuple[Params, bytes, bytes]:
    """Split a stored record into (params, salt, key), checking every part.

    >>> parse_record("md5$x$y$z")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    stdlib_book.security.PasswordRecordError: unknown scheme 'md5' (expected scrypt or ...)
    """
    parts = record.split("$") if isinstance(record, str) else []
    if len(parts) != 4:
        raise PasswordRecordError("a record has four '$'-separated parts: scheme$params$salt$hash")
    scheme, encoded, salt_text, key_text = parts
    if scheme not in SCHEMES:
        raise PasswordRecordError(f"unknown scheme {scheme!r} (expected {' or '.join(SCHEMES)})")
    try:
        fields = dict(item.split("=", 1) for item in encoded.split(","))
        if scheme == "scrypt":
            params: Params = ScryptParams(int(fields["n"]), int(fields["r"]), int(fields["p"]))
        else:
            params = Pbkdf2Params(int(fields["i"]))
        salt, key = _unb64(salt_text), _unb64(key_text)
    except (ValueError, KeyError, TypeError) as exc:
        raise PasswordRecordError(f"malformed {scheme} record: {exc}") from None
    if len(salt) < SALT_BYTES or len(key) < 16:
        raise PasswordRecordError("salt or hash too short")
    # The hash length is a cost too: PBKDF2 runs all its iterations once per
    # 32 bytes of output, so a record with a 1 MB "hash" would cost 32,768 logins.
    if len(salt) > MAX_SALT_OR_KEY_BYTES or len(key) > MAX_SALT_OR_KEY_BYTES:
        raise PasswordRecordError(f"salt or hash longer than {MAX_SALT_OR_KEY_BYTES} bytes")
    return params, salt, key


def verify_password(password: str | bytes, record: str) -> bool:
    """True if ``password`` matches the stored ``record``.

    The comparison is :func:`hmac.compare_digest`: its time does not depend
    on where the first differing byte is, so timing reveals nothing about the
    stored hash. A malformed record raises :class:`PasswordRecordError`
    (the database is broken: that is not the same as a wrong password).
    """
    params, salt, key = parse_record(record)
    candidate = _derive(_password_bytes(password), salt, params, len(key))
    return hmac.compare_digest(candidate, key)


def needs_rehash(record: str, params: Params | None = None) -> bool:
    """True if ``record`` was made with another scheme or weaker parameters
    than ``params`` (default: the OWASP figures). Call it after a successful
    login, when the plain password is at hand to hash again.

    >>> old = hash_password("pw", Pbkdf2Params(iterations=1_000))
    >>> needs_rehash(old, Pbkdf2Params()), needs_rehash(old, Pbkdf2Params(1_000))
    (True, False)
    """
    params = ScryptParams() if params is None else params
    stored, _salt, _key = parse_record(record)
    if isinstance(stored, ScryptParams) and isinstance(params, ScryptParams):
        return stored.n < params.n or stored.r < params.r or stored.p < params.p
    if isinstance(stored, Pbkdf2Params) and isinstance(params, Pbkdf2Params):
        return stored.iterations < params.iterations
    return True  # another scheme: move to the current one


def login(
    password: str, record: str, params: Params | None = None
) -> tuple[bool, str]:
    """Verify, and upgrade the record if its parameters are out of date.

    Returns ``(ok, record_to_store)``: the same record, or a new one made
    with ``params`` when the password was right and the record was weak.
    """
    if not verify_password(password, record):
        return False, record
    if needs_rehash(record, params):
        return True, hash_password(password, params)
    return True, record


def salted_sha256(password: str, salt: bytes) -> str:
    """One salted SHA-256: what the article stores, shown here to be measured.

    Fast hashes are the wrong tool for passwords: a salt defeats precomputed
    tables, but not an attacker who tries billions of guesses per second.
    """
    return hashlib.sha256(salt + password.encode("utf-8")).hexdigest()


def sha256_rate(seconds: float = 0.2) -> float:
    """Salted SHA-256 hashes per second on one core of this machine (a short
    loop of ``seconds``): a lower bound for an attacker with a GPU."""
    salt = secrets.token_bytes(SALT_BYTES)
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for i in range(1000):
            hashlib.sha256(salt + b"guess%d" % i).digest()
        count += 1000
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


# --------------------------------------------------------------------------
# Why `random` must not make secrets
# --------------------------------------------------------------------------


def _untemper(y: int) -> int:
    """Undo the Mersenne Twister's output tempering (each step is invertible)."""
    y ^= y >> 18
    y ^= (y << 15) & 0xEFC60000
    x = y
    for _ in range(5):
        x = y ^ ((x << 7) & 0x9D2C5680)
    y = x & 0xFFFFFFFF
    x = y
    for _ in range(3):
        x = y ^ (x >> 11)
    return x & 0xFFFFFFFF


def clone_random(outputs: Sequence[int]) -> random.Random:
    """Rebuild a :class:`random.Random` from 624 consecutive
    ``getrandbits(32)`` outputs that an observer has seen, for example 624
    "random" session ids. The clone then predicts every later output.

    This is why :mod:`random` (the Mersenne Twister) must never make tokens,
    passwords or salts: its whole state can be read back from its output.
    :mod:`secrets` uses the operating system's CSPRNG, which has no such
    shortcut.

    >>> victim = random.Random(2024)  # nosec B311 # demonstrating the weakness
    >>> seen = [victim.getrandbits(32) for _ in range(624)]
    >>> clone = clone_random(seen)
    >>> [clone.getrandbits(32) for _ in range(3)] == [victim.getrandbits(32) for _ in range(3)]
    True
    """
    if len(outputs) != 624 or not all(0 <= y < 2**32 for y in outputs):
        raise ValueError("need exactly 624 outputs of getrandbits(32)")
    # a Mersenne Twister on purpose: its state is replaced below, to show the weakness
    clone = random.Random()  # noqa: S311  # nosec B311 # demonstration, not a secret
    clone.setstate((3, (*(_untemper(y) for y in outputs), 624), None))
    return clone


# --------------------------------------------------------------------------
# Signed requests with HMAC
# --------------------------------------------------------------------------


class SignatureError(ValueError):
    """A signed request was refused; the message says why."""


#: What a nonce may be: URL-safe base64 (what ``secrets.token_urlsafe`` gives),
#: so no newline, the separator of the signed text, can hide in one.
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def canonical_request(method: str, path: str, body: bytes, timestamp: str, nonce: str) -> bytes:
    """The exact bytes that are signed: every part that an attacker could
    change is included, so changing any of them breaks the signature."""
    return "\n".join(
        [method.upper(), path, timestamp, nonce, hashlib.sha256(body).hexdigest()]
    ).encode("utf-8")


def sign_request(
    key: bytes, method: str, path: str, body: bytes = b"", *,
    timestamp: float | None = None, nonce: str | None = None,
) -> dict[str, str]:
    """Return the headers that authenticate a request: a timestamp, a fresh
    nonce, and an HMAC-SHA256 over both and the request itself.

    >>> headers = sign_request(b"k" * 32, "POST", "/pay", b"{}", timestamp=0,
    ...                        nonce="a-nonce-of-16-chars")
    >>> sorted(headers), len(headers["X-Signature"])
    (['X-Nonce', 'X-Signature', 'X-Timestamp'], 64)
    """
    if len(key) < 16:
        raise ValueError("an HMAC key should be at least 16 random bytes")
    ts = str(int(time.time() if timestamp is None else timestamp))
    nonce = secrets.token_urlsafe(16) if nonce is None else nonce
    if not _NONCE.fullmatch(nonce):
        raise ValueError(f"nonce must be 16 to 64 URL-safe characters, got {nonce[:20]!r}")
    mac = hmac.new(key, canonical_request(method, path, body, ts, nonce), hashlib.sha256)
    return {"X-Timestamp": ts, "X-Nonce": nonce, "X-Signature": mac.hexdigest()}


@dataclass
class RequestVerifier:
    """Check signed requests and refuse replays.

    A request is accepted once: its timestamp must be within ``max_age``
    seconds of the verifier's clock, and its nonce must not have been seen in
    that window. Nonces older than the window are forgotten, because their
    timestamps would be refused anyway, so memory stays bounded.
    """

    key: bytes
    max_age: float = 300.0
    clock: Callable[[], float] = time.time
    _seen: dict[str, float] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def verify(self, method: str, path: str, body: bytes, headers: Mapping[str, str]) -> None:
        """Return if the request is authentic and new; else raise SignatureError."""
        try:
            ts, nonce, signature = (headers[h] for h in ("X-Timestamp", "X-Nonce", "X-Signature"))
        except KeyError as exc:
            raise SignatureError(f"missing header {exc.args[0]}") from None
        # isascii() too: "²".isdigit() is True and int("²") raises ValueError;
        # and at most 12 digits: int() raises ValueError beyond 4,300.
        if not (ts.isascii() and ts.isdigit() and len(ts) <= 12):
            got = repr(ts) if len(ts) <= 20 else f"{len(ts):,} characters"
            raise SignatureError(f"X-Timestamp must be whole seconds, got {got}")
        # A nonce is what sign_request makes (URL-safe base64): no separator of the
        # signed text can hide in it, and each one kept in memory is small.
        if not _NONCE.fullmatch(nonce):
            raise SignatureError("X-Nonce must be 16 to 64 URL-safe characters")
        now = self.clock()
        if abs(now - int(ts)) > self.max_age:
            raise SignatureError(f"timestamp outside the {self.max_age:g} s window")
        expected = hmac.new(self.key, canonical_request(method, path, body, ts, nonce),
                            hashlib.sha256).hexdigest()
        # Compared as bytes: compare_digest refuses str with non-ASCII characters
        # (TypeError), and a header is whatever the client sent.
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            raise SignatureError("signature does not match the request")
        with self._lock:
            for old, seen_at in list(self._seen.items()):
                if now - seen_at > 2 * self.max_age:
                    del self._seen[old]
            if nonce in self._seen:
                raise SignatureError("replayed request: nonce already used")
            self._seen[nonce] = now


# --------------------------------------------------------------------------
# TLS on loopback
# --------------------------------------------------------------------------


def client_context(cafile_pem: str | None = None) -> ssl.SSLContext:
    """A client context: verifies the server's certificate and host name.

    ``Purpose.SERVER_AUTH`` (the default) means "I will authenticate a
    server": ``verify_mode`` is ``CERT_REQUIRED`` and ``check_hostname`` is
    on. Without ``cafile_pem`` the system's CAs are trusted. With it, *only*
    that CA (PEM text) is trusted, not the system's as well:
    ``create_default_context(cadata=...)`` loads the given CA instead of the
    defaults, which is what a client of a private service should do.
    """
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=cafile_pem)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def server_context(certfile: str, keyfile: str | None = None) -> ssl.SSLContext:
    """A server context: ``Purpose.CLIENT_AUTH`` means "this side will be
    connected to by clients"; it carries the server's certificate chain."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile, keyfile)
    return context


@dataclass
class TLSEchoServer:
    """What :func:`serve_tls_echo` yields: the address and a log of the
    connections that failed (handshake errors, timeouts), which never stop
    the server."""

    host: str
    port: int
    errors: list[str] = field(default_factory=list)


def _tls_echo_once(conn: socket.socket, context: ssl.SSLContext, timeout: float,
                   errors: list[str]) -> None:
    conn.settimeout(timeout)
    try:
        with context.wrap_socket(conn, server_side=True) as tls:
            data = tls.recv(4096)
            if data:
                tls.sendall(b"echo: " + data)
    except (ssl.SSLError, OSError) as exc:  # a bad client must not stop the server
        errors.append(f"{type(exc).__name__}: {describe_tls_error(exc)}")
    finally:
        conn.close()


@contextlib.contextmanager
def serve_tls_echo(context: ssl.SSLContext, *, timeout: float = 2.0) -> Iterator[TLSEchoServer]:
    """Run a one-message TLS echo server on 127.0.0.1, port 0, in a thread.

    Each connection gets ``timeout`` seconds to finish its handshake and send
    its message; a client that sends garbage, stops half-way through the
    handshake or never speaks is logged in ``errors`` and dropped. On leaving
    the block the listening socket is closed and every thread joined.
    """
    def handle(conn: socket.socket) -> None:
        _tls_echo_once(conn, context, timeout, info.errors)

    with serve_tcp(handle, name="serve_tls_echo", join_timeout=timeout + 5) as server:
        info = TLSEchoServer(server.host, server.port)
        yield info


def tls_exchange(port: int, context: ssl.SSLContext, server_hostname: str,
                 message: bytes = b"hello", *, timeout: float = 5.0) -> bytes:
    """Connect to 127.0.0.1:``port`` with TLS, send ``message``, return the reply.

    ``server_hostname`` is the name the certificate must carry; it is sent
    as SNI and checked, independently of the address we connect to.
    """
    with (socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw,
          context.wrap_socket(raw, server_hostname=server_hostname) as tls):
        tls.sendall(message)
        chunks = []
        while chunk := tls.recv(4096):
            chunks.append(chunk)
        return b"".join(chunks)


def describe_tls_error(exc: BaseException) -> str:
    """The part of a TLS error a person needs: OpenSSL's reason and, for a
    failed certificate check, the verification message."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate verify failed: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return str(exc.reason)
    # drop "_ssl.c:989: ", a C source line that changes between Python versions
    return re.sub(r"_ssl\.c:\d+: ", "", str(exc)) or type(exc).__name__


def tls_test_pki(*hostnames: str) -> tuple[object, object]:
    """A throw-away CA and a server certificate for ``hostnames`` from
    *trustme* (third-party, made for exactly this): generated at run time,
    so nothing checked in can expire."""
    import trustme  # a runtime requirement, imported late so the rest works without it

    ca = trustme.CA()
    return ca, ca.issue_cert(*(hostnames or ("localhost", "127.0.0.1")))


# --------------------------------------------------------------------------
# Exercise checks
# --------------------------------------------------------------------------


def _expect_compare_digest(c: Checker, func: Callable[..., object], *args: object) -> None:
    """A secret must be compared with hmac.compare_digest. Reading the source
    for the word would accept ``==`` next to a comment that mentions it, so
    this runs ``func(*args)`` (a wrong secret) with ``hmac.compare_digest``
    (and ``secrets.compare_digest``, and a ``compare_digest`` imported into
    the function's module) replaced by a wrapper that records its calls."""
    import secrets as secrets_module

    original = hmac.compare_digest
    calls: list[tuple[object, object]] = []

    def recording(a, b):  # type: ignore[no-untyped-def]
        calls.append((a, b))
        return original(a, b)

    namespaces = [hmac.__dict__, secrets_module.__dict__]
    func_globals = getattr(func, "__globals__", None)
    if func_globals is not None and func_globals.get("compare_digest") is original:
        namespaces.append(func_globals)

    def compared_in_constant_time() -> bool:
        for ns in namespaces:
            ns["compare_digest"] = recording
        try:
            result = func(*args)
        finally:
            for ns in namespaces:
                ns["compare_digest"] = original
        return bool(calls) and result is False

    c.expect("compares with hmac.compare_digest (constant time), not ==",
             compared_in_constant_time, True)


def check_password_check(func: Callable[[str, bytes, bytes], bool]) -> Feedback:
    """Check ``func(password, salt, expected)``: PBKDF2-HMAC-SHA256, 1,000
    iterations (a fast stand-in), compared in constant time."""

    def body(c: Checker) -> None:
        salt = bytes(range(16))
        good = hashlib.pbkdf2_hmac("sha256", b"s3cret!", salt, 1000)
        c.expect("the right password", lambda: func("s3cret!", salt, good), True)
        c.expect("a wrong password", lambda: func("s3cret?", salt, good), False)
        c.expect("the right password with another salt",
                 lambda: func("s3cret!", bytes(16), good), False)
        c.expect("a non-ASCII password (encode as UTF-8)",
                 lambda: func("pässwörd", salt,
                              hashlib.pbkdf2_hmac("sha256", "pässwörd".encode(), salt, 1000)),
                 True)
        _expect_compare_digest(c, func, "s3cret?", salt, good)

    return run_checks("check_password", body)


def check_reset_token(func: Callable[[], str]) -> Feedback:
    """Check ``func()``: a URL-safe token with at least 256 bits of
    randomness from the operating system, never repeated."""
    import string

    def body(c: Checker) -> None:
        allowed = set(string.ascii_letters + string.digits + "-_")
        c.expect("the token is a str", lambda: type(func()).__name__, "str")
        c.expect("only URL-safe characters (letters, digits, - and _)",
                 lambda: set(func()) <= allowed, True)
        c.expect("at least 43 characters (32 bytes in base64)", lambda: len(func()) >= 43, True)
        c.expect("1,000 tokens are all different", lambda: len({func() for _ in range(1000)}),
                 1000)

        def after_seeding() -> bool:
            state = random.getstate()
            try:
                random.seed(5)
                first = func()
                random.seed(5)
                return first != func()
            finally:
                random.setstate(state)

        c.expect("tokens do not repeat after random.seed() (use secrets, not random)",
                 after_seeding, True)

    return run_checks("make_reset_token", body)


def check_verify_webhook(func: Callable[[bytes, bytes, str], bool]) -> Feedback:
    """Check ``func(secret, body, header)`` for headers ``sha256=<hex HMAC>``."""

    def body(c: Checker) -> None:
        secret, payload = b"webhook-secret-0123456789", b'{"event": "push"}'
        good = "sha256=" + hmac.new(secret, payload, hashlib.sha256).hexdigest()
        c.expect("a correct signature", lambda: func(secret, payload, good), True)
        c.expect("a tampered body", lambda: func(secret, payload + b" ", good), False)
        c.expect("another secret", lambda: func(b"other", payload, good), False)
        c.expect("upper-case hex is a different string",
                 lambda: func(secret, payload, good.upper().replace("SHA256=", "sha256=")),
                 False)
        c.expect("no 'sha256=' prefix", lambda: func(secret, payload, good[7:]), False)
        c.expect("an empty header", lambda: func(secret, payload, ""), False)
        c.expect("a header with non-ASCII text", lambda: func(secret, payload, "sha256=é"),
                 False)
        wrong = "sha256=" + "0" * 64
        _expect_compare_digest(c, func, secret, payload, wrong)

    return run_checks("verify_webhook", body)
