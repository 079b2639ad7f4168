"""A tiny SMTP server that keeps every message it receives, for tests.

Why write one: the standard library's ``smtpd`` module was deprecated in 3.6
and removed in Python 3.12 (PEP 594), and its replacement, ``aiosmtpd``, is a
third-party package. Testing that a program *sends* the right e-mail needs
only the core of SMTP (RFC 5321): greeting, EHLO/HELO, MAIL, RCPT, DATA with
dot-unstuffing, RSET, NOOP, QUIT. That is a few dozen lines on top of
:mod:`socketserver`, and it keeps the book's examples free of extra
dependencies.

It is a test double, not a mail server: no relaying, loopback only, and
everything is kept in memory. Given a server ``context`` it speaks implicit
TLS (as on port 465) and then, only then, accepts ``AUTH PLAIN`` with any
password, recording who logged in; without TLS it refuses AUTH (RFC 4954's
538), which is how a test proves that no password crossed in clear text.

>>> import smtplib
>>> from email.message import EmailMessage
>>> with smtp_sink() as (host, port, inbox):
...     msg = EmailMessage()
...     msg["From"], msg["To"], msg["Subject"] = "a@example.com", "b@example.com", "hi"
...     msg.set_content("hello")
...     with smtplib.SMTP(host, port, local_hostname="localhost", timeout=5) as smtp:
...         refused = smtp.send_message(msg)
>>> refused, inbox[0].envelope_to, inbox[0].message["Subject"]
({}, ['b@example.com'], 'hi')
"""

from __future__ import annotations

import base64
import email
import email.policy
import socketserver
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage

from stdlib_book.servers import LOOPBACK, JoinedThreadsMixIn

MAX_LINE = 1000 + 2  # RFC 5321: 998 characters plus CRLF (we allow 1000)


@dataclass
class Received:
    envelope_from: str
    envelope_to: list[str]
    message: EmailMessage
    user: str | None = None  # who logged in with AUTH PLAIN on that connection


def _plain_user(arg: str) -> str | None:
    """The user name in ``AUTH PLAIN <base64 of authzid NUL user NUL password>``."""
    mechanism, _, response = arg.partition(" ")
    try:
        parts = base64.b64decode(response, validate=True).decode("utf-8").split("\0")
    except (ValueError, UnicodeDecodeError):
        return None
    return parts[1] or None if mechanism.upper() == "PLAIN" and len(parts) == 3 else None


def _address(arg: str, prefix: str) -> str | None:
    """The address in ``FROM:<a@b>`` (``prefix`` is ``FROM:`` or ``TO:``)."""
    if not arg.upper().startswith(prefix):
        return None
    rest = arg[len(prefix):].strip()
    if not (rest.startswith("<") and ">" in rest):
        return None
    return rest[1:rest.index(">")]


def _handler(inbox: list[Received], lock: threading.Lock,
             context: ssl.SSLContext | None) -> type[socketserver.StreamRequestHandler]:
    class SMTPHandler(socketserver.StreamRequestHandler):
        timeout = 30

        def setup(self) -> None:
            if context is not None:  # the handshake runs here, in this connection's thread
                self.request.settimeout(self.timeout)
                self.request = context.wrap_socket(self.request, server_side=True)
            super().setup()

        def finish(self) -> None:
            super().finish()
            self.request.close()

        def reply(self, text: str) -> None:
            self.wfile.write(text.encode("ascii") + b"\r\n")

        def handle(self) -> None:
            self.reply("220 localhost smtp-sink ready")
            sender: str | None = None
            recipients: list[str] = []
            user: str | None = None
            while True:
                line = self.rfile.readline(MAX_LINE + 1)
                if not line:
                    return
                if len(line) > MAX_LINE:
                    self.reply("500 line too long")
                    self.rfile.readline()  # skip the rest (bounded by the socket timeout)
                    continue
                verb, _, arg = line.decode("ascii", "replace").rstrip("\r\n").partition(" ")
                verb = verb.upper()
                if verb == "EHLO":
                    auth = b"250-AUTH PLAIN\r\n" if context is not None else b""
                    self.wfile.write(b"250-localhost\r\n" + auth +
                                     b"250-8BITMIME\r\n250 SMTPUTF8\r\n")
                elif verb == "AUTH":
                    user = _plain_user(arg) if context is not None else None
                    self.reply("235 authenticated" if user else
                               "538 encryption required" if context is None else
                               "501 syntax: AUTH PLAIN <base64>")
                elif verb == "HELO":
                    self.reply("250 localhost")
                elif verb == "MAIL":
                    sender = _address(arg, "FROM:")  # parameters after the > are ignored
                    recipients = []
                    ok = sender is not None
                    self.reply("250 OK" if ok else "501 syntax: MAIL FROM:<address>")
                elif verb == "RCPT":
                    to = _address(arg, "TO:")
                    if sender is None:
                        self.reply("503 MAIL first")
                    elif not to:
                        self.reply("501 syntax: RCPT TO:<address>")
                    else:
                        recipients.append(to)
                        self.reply("250 OK")
                elif verb == "DATA":
                    if sender is None or not recipients:
                        self.reply("503 MAIL and RCPT first")
                        continue
                    self.reply("354 end data with <CR><LF>.<CR><LF>")
                    data = self._read_data()
                    if data is None:
                        return
                    parsed = email.message_from_bytes(data, policy=email.policy.default)
                    with lock:
                        inbox.append(Received(sender, recipients, parsed, user))  # type: ignore[arg-type]
                    sender, recipients = None, []
                    self.reply("250 OK queued")
                elif verb == "RSET":
                    sender, recipients = None, []
                    self.reply("250 OK")
                elif verb == "NOOP":
                    self.reply("250 OK")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                else:
                    self.reply("502 command not implemented")

        def _read_data(self) -> bytes | None:
            lines = []
            while True:
                line = self.rfile.readline(MAX_LINE + 1)
                if not line:
                    return None
                if line in (b".\r\n", b".\n"):
                    return b"".join(lines)
                lines.append(line[1:] if line.startswith(b"..") else line)  # dot-unstuffing

    return SMTPHandler


class _Server(JoinedThreadsMixIn, socketserver.TCPServer):
    allow_reuse_address = True


@contextmanager
def smtp_sink(context: ssl.SSLContext | None = None) -> Iterator[tuple[str, int, list[Received]]]:
    """Run the sink on 127.0.0.1 and a free port; yield ``(host, port, inbox)``.
    With a server ``context``, every connection is implicit TLS.

    ``inbox`` fills with :class:`Received` messages as they arrive. The server
    is shut down and its socket closed when the block ends.
    """
    inbox: list[Received] = []
    server = _Server((LOOPBACK, 0), _handler(inbox, threading.Lock(), context))
    thread = threading.Thread(target=server.serve_forever, name="smtp_sink", daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield host, port, inbox
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
