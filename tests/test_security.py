import contextlib
import hashlib
import hmac
import secrets
import socket
import ssl
import threading
import time

import pytest

from stdlib_book import security
from stdlib_book.security import Pbkdf2Params, ScryptParams

FAST_SCRYPT = ScryptParams(n=2**10, r=8, p=1)
FAST_PBKDF2 = Pbkdf2Params(iterations=1_000)


# -- password storage -------------------------------------------------------


def test_default_parameters_are_owasp():
    assert (ScryptParams().n, ScryptParams().r, ScryptParams().p) == (2**17, 8, 1)
    assert Pbkdf2Params().iterations == 600_000
    assert security.SALT_BYTES == 16


def test_maxmem_is_exactly_what_openssl_needs():
    # checked at a smaller n (same formula) so the test stays fast
    params = ScryptParams(n=2**14, r=8, p=1)
    hashlib.scrypt(b"pw", salt=b"s" * 16, n=params.n, r=params.r, p=params.p,
                   maxmem=params.maxmem)
    with pytest.raises(ValueError, match="memory limit"):
        hashlib.scrypt(b"pw", salt=b"s" * 16, n=params.n, r=params.r, p=params.p,
                       maxmem=params.maxmem - 1)
    assert ScryptParams().maxmem > 32 * 1024 * 1024  # Python's default would refuse N=2**17


@pytest.mark.parametrize("params", [FAST_SCRYPT, FAST_PBKDF2])
def test_hash_and_verify(params):
    record = security.hash_password("correct horse battery", params)
    assert security.verify_password("correct horse battery", record)
    assert not security.verify_password("correct horse batterY", record)
    assert not security.verify_password("", record)
    other = security.hash_password("correct horse battery", params)
    assert other != record  # fresh salt every time
    assert record.split("$")[1] == params.encode()


def test_salt_is_sixteen_random_bytes():
    record = security.hash_password("x", FAST_SCRYPT)
    _params, salt, key = security.parse_record(record)
    assert len(salt) == 16 and len(key) == security.KEY_BYTES


def test_record_matches_hashlib_directly():
    record = security.hash_password("pässword", FAST_PBKDF2)
    _params, salt, key = security.parse_record(record)
    assert key == hashlib.pbkdf2_hmac("sha256", "pässword".encode(), salt, 1_000)


def test_verify_uses_compare_digest(monkeypatch):
    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(security.hmac, "compare_digest",
                        lambda a, b: calls.append(1) or real(a, b))
    security.verify_password("pw", security.hash_password("pw", FAST_SCRYPT))
    assert calls == [1]


@pytest.mark.parametrize("record, message", [
    ("", "four"),
    ("md5$x$y$z", "unknown scheme"),
    ("scrypt$n=1024$AAAA$BBBB", "malformed"),
    ("scrypt$n=1000,r=8,p=1$" + "A" * 22 + "$" + "B" * 43, "power of two"),
    ("scrypt$n=1073741824,r=8,p=1$" + "A" * 22 + "$" + "B" * 43, "at most"),
    ("pbkdf2_sha256$i=999999999$" + "A" * 22 + "$" + "B" * 43, "iterations"),
    # 2 GiB: hashlib's own ValueError ("memory limit exceeded") escaped before
    ("scrypt$n=1048576,r=16,p=1$" + "A" * 22 + "$" + "B" * 43, "bytes, over the limit"),
    # 1.88 GiB and 240 times the policy's work: minutes per login
    ("scrypt$n=1048576,r=15,p=16$" + "A" * 22 + "$" + "B" * 43, "bytes, over the limit"),
    ("scrypt$n=131072,r=8,p=16$" + "A" * 22 + "$" + "B" * 43, "4 times the policy"),
    # OpenSSL refuses n >= 2**(16*r): another plain ValueError from hashlib before
    ("scrypt$n=131072,r=1,p=1$" + "A" * 22 + "$" + "B" * 43, "below 2"),
    ("pbkdf2_sha256$i=1000$!!!$" + "B" * 43, "malformed"),
    ("pbkdf2_sha256$i=1000$AAAA$" + "B" * 43, "too short"),
    # a 66-byte "hash" (a 1 MiB one would make PBKDF2 run its iterations 32,768 times)
    ("pbkdf2_sha256$i=1000$" + "A" * 22 + "$" + "B" * 88, "longer than 64"),
    ("scrypt$n=131072,r=8,p=1$" + "A" * 200 + "$" + "B" * 43, "longer than 64"),
])
def test_bad_records_are_refused_with_a_reason(record, message):
    with pytest.raises(security.PasswordRecordError, match=message):
        security.verify_password("pw", record)


def test_no_accepted_scrypt_record_costs_more_than_the_limits():
    # The promise of MAX_SCRYPT_N's comment: a tampered record cannot make one
    # login take minutes or exhaust memory. Every parameter set ScryptParams
    # accepts stays within the limits, and the costliest one runs in seconds.
    accepted = []
    for n in (2**k for k in range(1, 31)):
        for r in range(1, 33):
            for p in range(1, 17):
                with contextlib.suppress(ValueError):
                    accepted.append(ScryptParams(n, r, p))
    assert all(128 * s.n * s.r <= security.MAX_SCRYPT_MEMORY <= 256 * 2**20 for s in accepted)
    assert all(s.n * s.r * s.p <= security.MAX_SCRYPT_WORK for s in accepted)
    worst = max(accepted, key=lambda s: (s.n * s.r * s.p, s.n * s.r))
    assert worst.n * worst.r * worst.p == 4 * ScryptParams().n * ScryptParams().r
    record = "$".join(["scrypt", worst.encode(), "A" * 22, "B" * 43])
    started = time.perf_counter()
    assert security.verify_password("pw", record) is False  # runs: no error from hashlib
    assert time.perf_counter() - started < 60


def test_bad_password_types_and_sizes():
    with pytest.raises(TypeError, match="password must be str or bytes"):
        security.hash_password(1234, FAST_SCRYPT)
    with pytest.raises(ValueError, match="longer than"):
        security.hash_password("x" * 2000, FAST_SCRYPT)
    with pytest.raises(TypeError, match="params"):
        security.hash_password("x", {"n": 2})


def test_needs_rehash_and_login_upgrade():
    weak = security.hash_password("pw", FAST_PBKDF2)
    assert security.needs_rehash(weak)  # default is scrypt: another scheme
    assert security.needs_rehash(weak, Pbkdf2Params(2_000))
    assert not security.needs_rehash(weak, FAST_PBKDF2)
    stronger = ScryptParams(n=2**11)
    ok, new = security.login("pw", weak, stronger)
    assert ok and new != weak and not security.needs_rehash(new, stronger)
    assert security.verify_password("pw", new)
    ok, same = security.login("wrong", weak, stronger)
    assert not ok and same == weak
    ok, same = security.login("pw", new, stronger)
    assert ok and same == new
    # any weaker part counts, not just the first
    assert security.needs_rehash(security.hash_password("pw", ScryptParams(2**12, 4, 1)),
                                 ScryptParams(2**11, 8, 1))


def test_at_most_four_hashes_run_at_once(monkeypatch):
    # 12 logins at the same moment: scrypt holds 128 MiB each, so they queue.
    import threading
    import time

    running, peak, lock = 0, 0, threading.Lock()
    real_scrypt = security.hashlib.scrypt

    def slow_scrypt(*args, **kwargs):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return real_scrypt(*args, **kwargs)

    record = security.hash_password("pw", FAST_SCRYPT)
    monkeypatch.setattr(security.hashlib, "scrypt", slow_scrypt)
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        security.verify_password("pw", record))) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == [True] * 12
    assert peak == security.MAX_CONCURRENT_HASHES == 4


def test_sha256_rate_is_positive():
    assert security.sha256_rate(0.01) > 0


def test_clone_random_predicts_the_generator():
    import random

    for seed in (0, 1, 123456789):
        victim = random.Random(seed)  # noqa: S311
        clone = security.clone_random([victim.getrandbits(32) for _ in range(624)])
        assert [clone.getrandbits(32) for _ in range(1000)] == \
            [victim.getrandbits(32) for _ in range(1000)]
    with pytest.raises(ValueError, match="624"):
        security.clone_random([1, 2, 3])


# -- HMAC request signing ------------------------------------------------------


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


KEY = bytes(range(32))


def test_signed_request_accepted_once():
    clock = Clock(1_000_000)
    verifier = security.RequestVerifier(KEY, max_age=60, clock=clock)
    headers = security.sign_request(KEY, "POST", "/pay", b'{"amount": 5}', timestamp=clock.now)
    verifier.verify("POST", "/pay", b'{"amount": 5}', headers)
    with pytest.raises(security.SignatureError, match="replayed"):
        verifier.verify("POST", "/pay", b'{"amount": 5}', headers)


@pytest.mark.parametrize(
    "change", ["method", "path", "body", "timestamp", "nonce", "signature", "non-ascii signature"]
)
def test_tampering_with_any_part_is_refused(change):
    clock = Clock(1_000_000)
    verifier = security.RequestVerifier(KEY, max_age=60, clock=clock)
    request = {"method": "POST", "path": "/pay", "body": b'{"amount": 5}'}
    headers = security.sign_request(KEY, **request, timestamp=clock.now,
                                      nonce="nonce-abcdefghijk")
    if change in ("method", "path"):
        request[change] = "GET" if change == "method" else "/refund"
    elif change == "body":
        request["body"] = b'{"amount": 500}'
    elif change == "timestamp":
        headers["X-Timestamp"] = str(clock.now + 1)
    elif change == "nonce":
        headers["X-Nonce"] = "nonce-abcdefghijl"
    elif change == "signature":
        headers["X-Signature"] = "0" * 64
    else:
        headers["X-Signature"] = "é" * 64
    with pytest.raises(security.SignatureError, match="signature does not match"):
        verifier.verify(request["method"], request["path"], request["body"], headers)


def test_old_future_and_malformed_requests():
    clock = Clock(1_000_000)
    verifier = security.RequestVerifier(KEY, max_age=60, clock=clock)
    old = security.sign_request(KEY, "GET", "/", timestamp=clock.now - 61)
    future = security.sign_request(KEY, "GET", "/", timestamp=clock.now + 61)
    for headers in (old, future):
        with pytest.raises(security.SignatureError, match="window"):
            verifier.verify("GET", "/", b"", headers)
    with pytest.raises(security.SignatureError, match="missing header X-Nonce"):
        verifier.verify("GET", "/", b"", {"X-Timestamp": "1", "X-Signature": "x"})
    with pytest.raises(security.SignatureError, match="whole seconds"):
        verifier.verify("GET", "/", b"", {**old, "X-Timestamp": "soon"})
    with pytest.raises(ValueError, match="at least 16"):
        security.sign_request(b"short", "GET", "/")


@pytest.mark.parametrize("ts", ["\u00b2", "\u0663" * 7, "\uff11" * 7])
def test_timestamp_with_non_ascii_digits_is_a_signature_error(ts):
    # "\u00b2".isdigit() is True and int("\u00b2") raises ValueError; Arabic-Indic
    # and fullwidth digits are read by int(). All are refused as SignatureError.
    verifier = security.RequestVerifier(KEY, max_age=60, clock=Clock(1_000_000))
    headers = security.sign_request(KEY, "GET", "/", timestamp=1_000_000)
    with pytest.raises(security.SignatureError, match="whole seconds"):
        verifier.verify("GET", "/", b"", {**headers, "X-Timestamp": ts})


def test_timestamp_with_thousands_of_digits_is_a_signature_error():
    # int() raises ValueError beyond 4,300 digits: refused before int() is called.
    verifier = security.RequestVerifier(KEY, max_age=60, clock=Clock(1_000_000))
    headers = security.sign_request(KEY, "GET", "/", timestamp=1_000_000)
    for ts in ("1" * 5000, "0" * 13 + "1000000"):
        with pytest.raises(security.SignatureError, match="whole seconds"):
            verifier.verify("GET", "/", b"", {**headers, "X-Timestamp": ts})


@pytest.mark.parametrize("nonce", ["", "short", "n" * 65, "nonce\nwith-a-newline", "\u00e9" * 20,
                                   "x" * 5000])
def test_malformed_nonce_is_a_signature_error(nonce):
    # A newline in a nonce could shift text between the fields of the signed
    # string, and a huge one would be kept in memory for the whole window.
    verifier = security.RequestVerifier(KEY, max_age=60, clock=Clock(1_000_000))
    headers = security.sign_request(KEY, "GET", "/", timestamp=1_000_000)
    with pytest.raises(security.SignatureError, match="X-Nonce"):
        verifier.verify("GET", "/", b"", {**headers, "X-Nonce": nonce})
    with pytest.raises(ValueError, match="nonce"):
        security.sign_request(KEY, "GET", "/", nonce=nonce)
    assert verifier._seen == {}


def test_wrong_key_refused_and_nonces_forgotten_after_window():
    clock = Clock(1_000_000)
    verifier = security.RequestVerifier(KEY, max_age=10, clock=clock)
    with pytest.raises(security.SignatureError):
        verifier.verify("GET", "/", b"", security.sign_request(b"k" * 32, "GET", "/",
                                                               timestamp=clock.now))
    for i in range(50):
        verifier.verify("GET", "/", b"", security.sign_request(KEY, "GET", "/",
                                                               timestamp=clock.now,
                                                               nonce=f"nonce-{i:011d}"))
    clock.now += 100
    verifier.verify("GET", "/", b"", security.sign_request(KEY, "GET", "/", timestamp=clock.now))
    assert len(verifier._seen) == 1


# -- TLS ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    ca, cert = security.tls_test_pki("localhost", "127.0.0.1")
    folder = tmp_path_factory.mktemp("pki")
    chain = folder / "server.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(chain))
    return ca, str(chain)


def test_contexts_verify_by_default(pki):
    client = security.client_context()
    assert client.verify_mode == ssl.CERT_REQUIRED and client.check_hostname
    assert client.minimum_version >= ssl.TLSVersion.TLSv1_2
    server = security.server_context(pki[1])
    assert server.verify_mode == ssl.CERT_NONE  # servers do not ask clients for certificates


def test_client_context_with_a_ca_trusts_only_that_ca(pki, monkeypatch):
    loaded = []
    monkeypatch.setattr(ssl.SSLContext, "load_default_certs",
                        lambda self, purpose=None: loaded.append(purpose))
    ca, _ = pki
    only_ca = security.client_context(ca.cert_pem.bytes().decode())
    assert loaded == []  # the system's CAs were not added
    assert len(only_ca.get_ca_certs()) == 1  # the test CA, and nothing else
    security.client_context()
    assert loaded == [ssl.Purpose.SERVER_AUTH]  # without a CA: the system's


def _threads():
    return {t for t in threading.enumerate() if t.name.startswith("serve_tls") or t.daemon}


def test_tls_round_trip_and_failures(pki):
    ca, chain = pki
    before = _threads()
    with security.serve_tls_echo(security.server_context(chain), timeout=1) as server:
        trusted = security.client_context(ca.cert_pem.bytes().decode())
        assert security.tls_exchange(server.port, trusted, "localhost", b"hi") == b"echo: hi"
        with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
            security.tls_exchange(server.port, trusted, "example.org")
        with pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer"):
            security.tls_exchange(server.port, security.client_context(), "localhost")
        # garbage instead of a ClientHello, and a handshake cut off half-way
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
            raw.sendall(b"GET / HTTP/1.1\r\n\r\n")
            with contextlib.suppress(ConnectionResetError):  # closed, or reset: either way, gone
                assert raw.recv(100) == b""
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
            raw.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + secrets.token_bytes(20))
        # a client that connects and says nothing is dropped after the timeout
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
            assert raw.recv(100) == b""
        # the server still works after all that
        assert security.tls_exchange(server.port, trusted, "127.0.0.1", b"ok") == b"echo: ok"
    assert _threads() <= before, "server threads left running"
    joined = "\n".join(server.errors)
    for reason in ("SSLV3_ALERT_BAD_CERTIFICATE", "TLSV1_ALERT_UNKNOWN_CA", "HTTP_REQUEST",
                   "UNEXPECTED_EOF", "timed out"):
        assert reason in joined, f"{reason} not logged in {server.errors}"


def test_describe_tls_error():
    assert security.describe_tls_error(OSError("boom")) == "boom"
    assert security.describe_tls_error(TimeoutError()) == "TimeoutError"
    assert security.describe_tls_error(TimeoutError("_ssl.c:989: timed out")) == "timed out"


# -- exercise checks pass right answers and fail wrong ones -------------------------


def good_check_password(password, salt, expected):
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, 1000)
    return hmac.compare_digest(candidate, expected)


def eq_check_password(password, salt, expected):
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, 1000) == expected


def commented_eq_check_password(password, salt, expected):
    # compared with hmac.compare_digest? No: this comment fooled the old source search
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, 1000) == expected


def test_constant_time_checks_look_at_behaviour_not_source():
    assert not security.check_password_check(commented_eq_check_password).passed

    def webhook_eq(secret, body, header):  # mentions compare_digest, uses ==
        return header == "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()

    assert not security.check_verify_webhook(webhook_eq).passed

    def webhook_secrets(secret, body, header):
        expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        return secrets.compare_digest(expected.encode(), header.encode("utf-8", "replace"))

    assert security.check_verify_webhook(webhook_secrets).passed
    assert hmac.compare_digest.__name__ == "compare_digest"  # the wrapper was removed
    assert secrets.compare_digest is hmac.compare_digest


def test_check_password_exercise():
    assert security.check_password_check(good_check_password).passed
    bad = security.check_password_check(eq_check_password)
    assert not bad.passed and "compare_digest" in repr(bad)
    assert not security.check_password_check(lambda p, s, e: True).passed


def test_reset_token_exercise():
    import random
    import string

    assert security.check_reset_token(lambda: secrets.token_urlsafe(32)).passed
    assert not security.check_reset_token(lambda: secrets.token_urlsafe(8)).passed
    assert not security.check_reset_token(lambda: secrets.token_hex(32) + "!").passed
    alphabet = string.ascii_letters + string.digits
    weak = security.check_reset_token(lambda: "".join(random.choices(alphabet, k=43)))  # noqa: S311
    assert not weak.passed and "secrets" in repr(weak)


def test_verify_webhook_exercise():
    def good(secret, body, header):
        expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected.encode(), header.encode())

    def naive(secret, body, header):
        return header[7:] == hmac.new(secret, body, hashlib.sha256).hexdigest()

    assert security.check_verify_webhook(good).passed
    assert not security.check_verify_webhook(naive).passed
