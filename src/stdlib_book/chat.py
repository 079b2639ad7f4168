"""chat: an asyncio chat server and client speaking a small line protocol.

One line of UTF-8 text per message, ending in ``\\n``. A client first picks a
nickname, then anything it types goes to everyone, and a few commands do
the rest:

    /nick NAME        choose or change your nickname (letters, digits, _ and -, at most 16)
    /msg NAME TEXT    a private message to one person
    /who              who is here
    /quit             leave (everyone is told)

The server answers with lines that start with a keyword, so a program can
read them: ``OK``, ``ERR``, ``MSG from text``, ``PRIV from text``,
``JOIN name``, ``LEAVE name``, ``NICK old new``, ``WHO names...``, ``BYE``.

Bad input never kills the server or the connection: a line that is too
long, not UTF-8, or not a command gets an ``ERR`` reply. A client that stops
reading is disconnected once its outgoing queue fills, so it cannot make the
server hold unbounded data for it.

    python -m stdlib_book.chat serve [--host 127.0.0.1] [--port 0]
    python -m stdlib_book.chat connect HOST PORT --nick NAME

Exit codes: the package's contract (:mod:`stdlib_book.cli`); see ``EXIT_CODES``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from stdlib_book.cli import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, UsageError, program_parser, run_main
from stdlib_book.selfcheck import Checker, Feedback, run_checks

#: What this program means by the contract's codes 1 and 3.
EXIT_CODES = {1: "the session ended because the server vanished or sent something "
                 "unreadable (said why)",
              3: "failed: cannot connect, or the server refused the nickname"}
MAX_LINE = 1024  # bytes, including the newline
QUEUE_LIMIT = 256  # lines waiting for one slow client before it is dropped
NICK = re.compile(r"[A-Za-z0-9_-]{1,16}")


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds a control character other than tab: the C0 range,
    DEL, or a C1 control (U+0080 to U+009F; U+009B is a one-character escape
    sequence start for terminals that read C1 controls). These are Unicode's
    category ``Cc``; another client's terminal must never receive them.

    Also refused: the bidirectional embeddings, overrides and isolates
    (U+202A to U+202E, U+2066 to U+2069). They change the order in which
    everything after them on the line is *displayed*, so a client that
    renders bidirectional text (a browser, many GUI clients) would show
    another user's message reordered: the "Trojan Source" trick (CVE-2021-42574).

    >>> has_control_characters("tab\tis fine"), has_control_characters("\x1b[2J")
    (False, True)
    >>> [has_control_characters(text) for text in ("\x7f", "\x9b2J", "caf\u00e9")]
    [True, True, False]
    >>> has_control_characters("see \u202efdp.exe"), has_control_characters("\u05e9\u05dc")
    (True, False)
    """
    return any(map(_is_control, text))


def visible(text: str) -> str:
    r"""``text`` with every character :func:`has_control_characters` refuses
    written as a Python escape, so that a hostile server cannot clear, move,
    recolour or retitle the user's terminal, or reorder the line it shows.

    >>> print(visible("\x1b[2Jhi \u202eevil\x9b \u05e9\u05dc"))
    \x1b[2Jhi \u202eevil\x9b של
    """
    return "".join(ch.encode("unicode_escape").decode("ascii") if _is_control(ch) else ch
                   for ch in text)


def _is_control(ch: str) -> bool:
    return (ord(ch) < 32 and ch != "\t") or 0x7F <= ord(ch) <= 0x9F or ch in _BIDI_CONTROLS


_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def parse_command(text: str) -> tuple[str, ...]:
    """Turn one line a client sent (already decoded, without the newline)
    into a command tuple, or ``("error", reason)``.

    >>> parse_command("hello all"), parse_command("/msg bob  hi there")
    (('say', 'hello all'), ('msg', 'bob', 'hi there'))
    >>> parse_command("/nick a b")
    ('error', 'usage: /nick NAME')
    >>> parse_command("/dance")
    ('error', 'unknown command /dance (try /who, /msg, /nick, /quit)')
    """
    if has_control_characters(text):
        return ("error", "control characters are not allowed")
    if not text.startswith("/"):
        return ("say", text) if text.strip() else ("error", "empty message")
    name, _, rest = text.partition(" ")
    rest = rest.strip()
    if name == "/nick":
        if not rest or " " in rest:
            return ("error", "usage: /nick NAME")
        if not NICK.fullmatch(rest):
            return ("error", "a nickname is 1-16 letters, digits, _ or -")
        return ("nick", rest)
    if name == "/msg":
        to, _, message = rest.partition(" ")
        if not to or not message.strip():
            return ("error", "usage: /msg NAME TEXT")
        return ("msg", to, message.strip())
    if name in ("/who", "/quit"):
        return ("error", f"usage: {name}") if rest else (name[1:],)
    return ("error", f"unknown command {name} (try /who, /msg, /nick, /quit)")


TOO_LONG = object()


async def read_line(reader: asyncio.StreamReader) -> bytes | object | None:
    """The next line without its newline, :data:`TOO_LONG` for a line over
    the reader's limit (which is then skipped to its end), or ``None`` at
    end of input.

    ``StreamReader.readline`` would raise on a long line and leave the rest
    of it to be read as if it were a new line; ``readuntil`` reports how much
    to skip instead, so one oversized line costs one error reply.
    """
    too_long = False
    while True:
        try:
            line = await reader.readuntil(b"\n")
        except asyncio.LimitOverrunError as exc:
            too_long = True
            await reader.readexactly(exc.consumed)  # drop what we have so far
            continue
        except asyncio.IncompleteReadError as exc:  # end of input
            if exc.partial and not too_long:
                return exc.partial.rstrip(b"\r")  # a last line without a newline
            return None
        return TOO_LONG if too_long else line.rstrip(b"\r\n")


@dataclass(eq=False)
class _Client:
    writer: asyncio.StreamWriter
    nick: str | None = None
    queue: asyncio.Queue[str | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    dropped: bool = False


class ChatServer:
    """The chat server. Use it as an async context manager:

    >>> async def demo():
    ...     async with ChatServer() as server:
    ...         ann = await ChatClient.connect(*server.address, "ann")
    ...         bob = await ChatClient.connect(*server.address, "bob")
    ...         await ann.recv()  # JOIN bob
    ...         await bob.send("hi ann")
    ...         line = await ann.recv()
    ...         await ann.close(); await bob.close()
    ...         return line
    >>> asyncio.run(demo())
    'MSG bob hi ann'
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, max_line: int = MAX_LINE,
                 max_clients: int = 200) -> None:
        self.host, self.port = host, port
        self.max_line, self.max_clients = max_line, max_clients
        self.clients: set[_Client] = set()
        self.errors_sent = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()

    @property
    def address(self) -> tuple[str, int]:
        assert self._server is not None, "the server is not started"
        return self._server.sockets[0].getsockname()[:2]

    @property
    def nicks(self) -> list[str]:
        return sorted(c.nick for c in self.clients if c.nick)

    async def start(self) -> ChatServer:
        self._server = await asyncio.start_server(self._handle, self.host, self.port,
                                                  limit=self.max_line)
        return self

    async def stop(self) -> None:
        """Stop accepting, say BYE to everyone, and wait for every connection
        to finish (a few seconds at most)."""
        if self._server is None:
            return
        self._server.close()
        for client in list(self.clients):
            self._send(client, "BYE server shutting down")
            self._send(client, None)
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        for task in self._tasks:
            task.cancel()
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> ChatServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- one connection ----------------------------------------------------------

    def _send(self, client: _Client, line: str | None) -> None:
        """Queue a line for one client; a client too slow to keep up is dropped."""
        if client.dropped:
            return
        try:
            client.queue.put_nowait(line)
        except asyncio.QueueFull:
            client.dropped = True
            # abort, not close: close would wait to flush data the client never reads
            client.writer.transport.abort()  # its reader then sees end of input

    def _broadcast(self, line: str, *, exclude: _Client | None = None) -> None:
        for other in list(self.clients):
            if other is not exclude and other.nick:
                self._send(other, line)

    def _error(self, client: _Client, reason: str) -> None:
        self.errors_sent += 1
        self._send(client, f"ERR {reason}")

    async def _write_loop(self, client: _Client) -> None:
        """Send queued lines until ``None``, then close the connection (which
        also ends the reading side with end-of-input)."""
        with contextlib.suppress(ConnectionError, OSError):
            while (line := await client.queue.get()) is not None:
                client.writer.write(line.encode("utf-8") + b"\n")
                await client.writer.drain()
        client.writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        client = _Client(writer)
        self.clients.add(client)
        writer_task = asyncio.create_task(self._write_loop(client))
        try:
            if len(self.clients) > self.max_clients:
                self._error(client, "server full, try again later")
                return
            self._send(client, "OK welcome: choose a nickname with /nick NAME")
            await self._serve(client, reader)
        except (ConnectionError, OSError):
            pass  # the client vanished; it is removed below like any other
        finally:
            self.clients.discard(client)
            if client.nick:
                self._broadcast(f"LEAVE {client.nick}")
            self._send(client, None)
            client.dropped = True
            try:  # let the writer flush what is queued (BYE, errors), briefly
                await asyncio.wait_for(writer_task, timeout=2)
                await asyncio.wait_for(writer.wait_closed(), timeout=2)
            except (TimeoutError, ConnectionError, OSError):
                writer.transport.abort()  # a client that does not read gets cut off
                writer_task.cancel()
            self._tasks.discard(task)

    async def _serve(self, client: _Client, reader: asyncio.StreamReader) -> None:
        while not client.dropped:
            raw = await read_line(reader)
            if raw is None:
                return
            if raw is TOO_LONG:
                self._error(client, f"line too long (limit {self.max_line} bytes)")
                continue
            try:
                text = raw.decode("utf-8")  # type: ignore[union-attr]
            except UnicodeDecodeError:
                self._error(client, "not valid UTF-8")
                continue
            command = parse_command(text)
            kind = command[0]
            if kind == "error":
                self._error(client, command[1])
            elif kind == "quit":
                self._send(client, "BYE")
                return
            elif kind == "nick":
                self._set_nick(client, command[1])
            elif client.nick is None:
                self._error(client, "choose a nickname first: /nick NAME")
            elif kind == "say":
                self._broadcast(f"MSG {client.nick} {command[1]}", exclude=client)
            elif kind == "msg":
                target = next((c for c in self.clients if c.nick == command[1]), None)
                if target is None:
                    self._error(client, f"no one called {command[1]} is here")
                else:
                    self._send(target, f"PRIV {client.nick} {command[2]}")
            elif kind == "who":
                self._send(client, "WHO " + " ".join(self.nicks))

    def _set_nick(self, client: _Client, nick: str) -> None:
        if any(c.nick == nick for c in self.clients if c is not client):
            self._error(client, f"nickname {nick} is taken")
            return
        old, client.nick = client.nick, nick
        self._send(client, f"OK you are {nick}")
        if old is None:
            self._broadcast(f"JOIN {nick}", exclude=client)
        elif old != nick:
            self._broadcast(f"NICK {old} {nick}", exclude=client)


class ChatClient:
    """A programmatic client: the notebook's simulated users and the tests."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, host: str, port: int, nick: str | None = None) -> ChatClient:
        """Connect; with ``nick``, also choose it and raise ``ValueError`` if refused."""
        reader, writer = await asyncio.open_connection(host, port, limit=16 * MAX_LINE)
        client = cls(reader, writer)
        await client.recv()  # OK welcome
        if nick is not None:
            await client.send(f"/nick {nick}")
            reply = await client.recv()
            if not reply.startswith("OK"):
                await client.close()
                raise ValueError(reply)
        return client

    async def send(self, line: str | bytes) -> None:
        data = line if isinstance(line, bytes) else line.encode("utf-8") + b"\n"
        self.writer.write(data)
        await self.writer.drain()

    async def recv(self, timeout: float = 5) -> str:
        """The next line from the server; ``""`` once the server has closed."""
        line = await asyncio.wait_for(self.reader.readline(), timeout)
        return line.decode("utf-8").rstrip("\n")

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()


# -- command line ----------------------------------------------------------------------


async def _serve_forever(host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C still works
            loop.add_signal_handler(sig, stop.set)
    async with ChatServer(host, port) as server:
        print(f"chat server listening on {server.address[0]}:{server.address[1]}", flush=True)
        await stop.wait()
        print(f"shutting down, saying BYE to {len(server.clients)} client(s)", flush=True)


async def _interactive(host: str, port: int, nick: str) -> int:
    try:
        client = await ChatClient.connect(host, port, nick)
    except (TimeoutError, OSError) as exc:
        print(f"chat: cannot connect to {host}:{port}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except ValueError as exc:  # the server's refusal, shown as text, never obeyed
        print(f"chat: {visible(str(exc))}", file=sys.stderr)
        return EXIT_FAILED
    loop = asyncio.get_running_loop()
    typed_lines: asyncio.Queue[str] = asyncio.Queue()

    def read_stdin() -> None:  # a daemon thread: a pending readline never delays exit
        for typed in iter(sys.stdin.readline, ""):
            loop.call_soon_threadsafe(typed_lines.put_nowait, typed)
        loop.call_soon_threadsafe(typed_lines.put_nowait, "")

    async def show() -> None:  # what the server sends is shown, never obeyed by the terminal
        while line := await client.reader.readline():
            print(visible(line.decode("utf-8", "replace").removesuffix("\n")), flush=True)

    threading.Thread(target=read_stdin, daemon=True, name="chat-stdin").start()
    printer = asyncio.create_task(show())
    try:
        while True:
            getter = asyncio.ensure_future(typed_lines.get())
            await asyncio.wait({getter, printer}, return_when=asyncio.FIRST_COMPLETED)
            if printer.done():  # the server closed, vanished or sent garbage
                getter.cancel()
                break
            typed = getter.result()
            if not typed:  # end of standard input: leave politely
                await client.send("/quit")
                await asyncio.wait_for(printer, timeout=5)
                break
            await client.send(typed.rstrip("\n"))
    except (ConnectionError, OSError, TimeoutError) as exc:
        print(f"chat: connection to {host}:{port} lost: {exc or type(exc).__name__}",
              file=sys.stderr)
        return EXIT_PARTIAL
    finally:
        printer.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError, OSError, ValueError):
            await printer
        await client.close()
    problem = printer.exception() if not printer.cancelled() else None
    if problem is not None:  # a line longer than the limit, a reset connection
        print(f"chat: the server at {host}:{port} broke the session: {problem}",
              file=sys.stderr)
        return EXIT_PARTIAL
    return EXIT_OK


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is between 0 and 65535, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = program_parser(
        "chat", "A line-based chat: run a server, or connect to one and type.", EXIT_CODES)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    srv = sub.add_parser("serve", help="run a chat server until Ctrl-C or SIGTERM")
    srv.add_argument("--host", default="127.0.0.1",
                     help="address to listen on (default: %(default)s, this machine only)")
    srv.add_argument("--port", type=_port, default=0, help="port (default: 0, any free port)")
    con = sub.add_parser("connect", help="join a chat: type lines, see everyone's")
    con.add_argument("host")
    con.add_argument("port", type=_port)
    con.add_argument("--nick", required=True, help="your nickname")
    return parser


def _run(args: argparse.Namespace) -> int:
    if args.command == "serve":
        asyncio.run(_serve_forever(args.host, args.port))
        return EXIT_OK
    if not NICK.fullmatch(args.nick):
        raise UsageError(f"--nick must be 1-16 letters, digits, _ or -, got {args.nick!r}")
    return asyncio.run(_interactive(args.host, args.port, args.nick))


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(build_parser(), _run, argv)


# -- exercise check ----------------------------------------------------------------------


def check_parse_command(func) -> Feedback:
    """Check ``func(text)`` against :func:`parse_command` on the cases that matter."""
    cases = ["hello", "  ", "/who", "/who cares", "/quit", "/nick ann", "/nick", "/nick a b",
             "/nick way_too_long_a_name", "/nick bad!", "/msg bob hi there", "/msg bob",
             "/msg", "/dance", "tab\tis fine", "bell\x07", "/msg  bob  spaced  "]

    def body(c: Checker) -> None:
        for text in cases:
            want = parse_command(text)
            if want[0] == "error":  # any reason will do, as long as it is an error
                c.expect(f"{text!r} is an error", lambda t=text: func(t)[0], "error")
            else:
                c.expect(repr(text), lambda t=text: tuple(func(t)), want)

    return run_checks("parse_command", body)


def check_parse_command_plus(func) -> Feedback:
    """Check ``func(text)``: :func:`parse_command` extended with two commands it
    does not know: ``/me ACTION`` gives ``("me", action)`` (``usage: /me ACTION``
    when empty), and a line starting with ``//`` is a message that starts with
    one slash (``"//etc"`` gives ``("say", "/etc")``). Everything else, control
    characters included, behaves as before."""
    new = {"/me waves": ("me", "waves"), "/me   waves  hello ": ("me", "waves  hello"),
           "//etc/hosts is a file": ("say", "/etc/hosts is a file"), "//": ("say", "/")}
    errors = ["/me", "/me   ", "/me\x07", "//bell\x07", "//\x9b2J", "/me \x7f", "/meow"]
    old = ["hello", "/who", "/msg bob hi", "/nick ann", "/nick a b", "/dance", "tab\tok",
           "del\x7f", "csi\x9b2J", "caf\u00e9"]

    def body(c: Checker) -> None:
        for text, want in new.items():
            c.expect(repr(text), lambda t=text: tuple(func(t)), want)
        for text in errors:
            c.expect(f"{text!r} is an error", lambda t=text: func(t)[0], "error")
        for text in old:
            want = parse_command(text)
            if want[0] == "error":
                c.expect(f"{text!r} is still an error", lambda t=text: func(t)[0], "error")
            else:
                c.expect(f"{text!r} as before", lambda t=text: tuple(func(t)), want)

    return run_checks("parse_command_plus", body)


if __name__ == "__main__":
    sys.exit(main())
