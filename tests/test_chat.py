import asyncio
import os
import signal
import subprocess
import sys

import pytest

from stdlib_book import chat
from stdlib_book.chat import ChatClient, ChatServer
from stdlib_book.cli import EXIT_FAILED


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


async def drain(client, n):
    return [await client.recv() for _ in range(n)]


def test_broadcast_private_who_and_leave():
    async def scenario():
        async with ChatServer() as server:
            ann = await ChatClient.connect(*server.address, "ann")
            bob = await ChatClient.connect(*server.address, "bob")
            cat = await ChatClient.connect(*server.address, "cat")
            assert await drain(ann, 2) == ["JOIN bob", "JOIN cat"]
            assert await drain(bob, 1) == ["JOIN cat"]
            await ann.send("hello everyone")
            assert await bob.recv() == "MSG ann hello everyone"
            assert await cat.recv() == "MSG ann hello everyone"
            await bob.send("/msg cat psst")
            assert await cat.recv() == "PRIV bob psst"
            await cat.send("/who")
            assert await cat.recv() == "WHO ann bob cat"
            await bob.send("/nick robert")
            assert await bob.recv() == "OK you are robert"
            assert await ann.recv() == "NICK bob robert"
            assert await cat.recv() == "NICK bob robert"
            await cat.send("/quit")
            assert await cat.recv() == "BYE"
            assert await cat.recv() == ""  # closed by the server
            await cat.close()
            assert await ann.recv() == "LEAVE cat"
            assert await bob.recv() == "LEAVE cat"
            await ann.close()  # abrupt: no /quit
            assert await bob.recv() == "LEAVE ann"
            await bob.send("/who")
            assert await bob.recv() == "WHO robert"
            await bob.close()
    run(scenario())


@pytest.mark.parametrize(("sent", "error"), [
    (b"x" * 5000 + b"\n", "ERR line too long"),
    (b"x" * 1030 + b"\n", "ERR line too long"),
    (b"\xff\xfe caf\xe9\n", "ERR not valid UTF-8"),
    (b"/dance\n", "ERR unknown command"),
    (b"/msg nobody hi\n", "ERR no one called nobody"),
    (b"/nick ann\n", "ERR nickname ann is taken"),
    (b"/nick \xc3\xa9\xc3\xa9\n", "ERR a nickname is"),
    (b"bell\x07\n", "ERR control characters"),
    ("see \u202efdp.exe\n".encode(), "ERR control characters"),
    (b"\n", "ERR empty message"),
])
def test_bad_input_gets_an_error_and_the_connection_lives_on(sent, error):
    async def scenario():
        async with ChatServer() as server:
            ann = await ChatClient.connect(*server.address, "ann")
            bob = await ChatClient.connect(*server.address, "bob")
            await ann.recv()  # JOIN bob
            await bob.send(sent)
            reply = await bob.recv()
            assert reply.startswith(error), reply
            await bob.send("still here")  # the same connection still works
            assert await ann.recv() == "MSG bob still here"
            assert server.errors_sent == 1
            await ann.close()
            await bob.close()
    run(scenario())


def test_a_nickname_comes_first():
    async def scenario():
        async with ChatServer() as server:
            anon = await ChatClient.connect(*server.address)
            await anon.send("hello?")
            assert (await anon.recv()).startswith("ERR choose a nickname first")
            await anon.send("/nick anon")
            assert await anon.recv() == "OK you are anon"
            await anon.close()
    run(scenario())


def test_garbage_flood_and_vanishing_clients_never_kill_the_server():
    async def scenario():
        async with ChatServer() as server:
            host, port = server.address
            for i in range(20):
                reader, writer = await asyncio.open_connection(host, port)
                writer.write(os.urandom(3000) + (b"\n" if i % 2 else b""))
                await writer.drain()
                writer.close()  # gone without a word, sometimes mid-line
            fine = await ChatClient.connect(host, port, "fine")
            await fine.send("/who")
            assert await fine.recv() == "WHO fine"
            await fine.close()
    run(scenario())


def test_a_client_that_stops_reading_is_dropped_not_buffered_forever(monkeypatch):
    monkeypatch.setattr(chat, "QUEUE_LIMIT", 8)

    async def scenario():
        async with ChatServer(max_line=100_000) as server:
            sleepy = await ChatClient.connect(*server.address, "sleepy")
            sleepy.writer.transport.pause_reading()  # never reads again
            talker = await ChatClient.connect(*server.address, "talker")
            big = "y" * 60_000  # the socket buffers must fill before the queue does
            for _ in range(2000):
                await talker.send(big)
                if "sleepy" not in server.nicks:
                    break
            assert server.nicks == ["talker"]
            await talker.close()
            await sleepy.close()
    run(scenario())


def test_many_clients_all_receive_every_message():
    async def scenario():
        async with ChatServer() as server:
            clients = [await ChatClient.connect(*server.address, f"u{i}") for i in range(30)]
            for i, c in enumerate(clients):  # skip the JOINs of later arrivals
                await drain(c, 29 - i)
            await asyncio.gather(*(c.send(f"hi from u{i}") for i, c in enumerate(clients)))
            got = await asyncio.gather(*(drain(c, 29) for c in clients))
            for i, lines in enumerate(got):
                want = sorted(f"MSG u{j} hi from u{j}" for j in range(30) if j != i)
                assert sorted(lines) == want
            await asyncio.gather(*(c.close() for c in clients))
    run(scenario())


def test_stop_says_bye_to_everyone():
    async def scenario():
        server = await ChatServer().start()
        ann = await ChatClient.connect(*server.address, "ann")
        await server.stop()
        assert await ann.recv() == "BYE server shutting down"
        assert await ann.recv() == ""
        await ann.close()
    run(scenario())


def test_full_server_refuses_politely():
    async def scenario():
        async with ChatServer(max_clients=1) as server:
            one = await ChatClient.connect(*server.address, "one")
            reader, writer = await asyncio.open_connection(*server.address)
            assert (await reader.readline()).startswith(b"ERR server full")
            writer.close()
            await one.close()
    run(scenario())


def test_cli_server_and_client_in_real_processes():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen([sys.executable, "-m", "stdlib_book.chat", "serve"],
                              stdout=subprocess.PIPE, text=True, encoding="utf-8", env=env)
    try:
        first = server.stdout.readline()
        assert first.startswith("chat server listening on 127.0.0.1:")
        port = first.rsplit(":", 1)[1].strip()
        client = subprocess.run(
            [sys.executable, "-m", "stdlib_book.chat", "connect", "127.0.0.1", port,
             "--nick", "ann"], input="/who\n/dance\n", capture_output=True, text=True,
            encoding="utf-8", timeout=30, env=env)
        assert client.returncode == 0, client.stderr
        assert "WHO ann" in client.stdout and "ERR unknown command /dance" in client.stdout
        assert client.stdout.rstrip().endswith("BYE")
        bad = subprocess.run([sys.executable, "-m", "stdlib_book.chat", "connect", "127.0.0.1",
                              port, "--nick", "no spaces"], capture_output=True, text=True,
                             timeout=30)
        assert bad.returncode == 2 and "--nick must be" in bad.stderr
        server.send_signal(signal.SIGTERM)
        out, _ = server.communicate(timeout=30)
        assert "shutting down" in out and server.returncode == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        server.stdout.close()


def test_connect_to_nothing_exits_3():
    async def free_port():
        srv = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = srv.sockets[0].getsockname()[1]
        srv.close()
        await srv.wait_closed()
        return port

    port = run(free_port())
    assert chat.main(["connect", "127.0.0.1", str(port), "--nick", "ann"]) == EXIT_FAILED


@pytest.mark.parametrize(("argv", "message"), [
    (["serve", "--port", "70000"], "between 0 and 65535"),
    (["connect", "127.0.0.1", "x", "--nick", "a"], "expected a port number"),
    (["connect", "127.0.0.1", "1"], "--nick"),
    (["shout"], "invalid choice"),
])
def test_bad_usage_exits_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        chat.main(argv)
    assert exc.value.code == 2 and message in capsys.readouterr().err


def good_parse(text):
    return chat.parse_command(text)


def test_check_parse_command():
    assert chat.check_parse_command(good_parse).passed
    assert not chat.check_parse_command(lambda t: ("say", t)).passed

    def no_validation(text):
        if text.startswith("/nick "):
            return ("nick", text[6:])
        return chat.parse_command(text)

    assert not chat.check_parse_command(no_validation).passed


def parse_plus(is_control):
    def parse(text):
        if is_control(text):
            return ("error", "control characters are not allowed")
        if text.startswith("//"):
            return ("say", text[1:])
        name, _, rest = text.partition(" ")
        if name == "/me":
            return ("me", rest.strip()) if rest.strip() else ("error", "usage: /me ACTION")
        return chat.parse_command(text)
    return parse


good_parse_plus = parse_plus(chat.has_control_characters)


def test_check_parse_command_plus_needs_the_extension():
    assert chat.check_parse_command_plus(good_parse_plus).passed
    assert not chat.check_parse_command_plus(chat.parse_command).passed  # the shown one

    def escape_skips_the_control_check(text):
        return ("say", text[1:]) if text.startswith("//") else good_parse_plus(text)

    assert not chat.check_parse_command_plus(escape_skips_the_control_check).passed

    # the rule before the review: only C0, so DEL and C1 controls got through
    c0_only = parse_plus(lambda text: any(ord(ch) < 32 and ch != "\t" for ch in text))
    assert not chat.check_parse_command_plus(c0_only).passed


@pytest.mark.parametrize("text", ["del\x7f", "csi \x9b2J", "nel\x85", "esc \x1b[2J", "bell\x07",
                                  "rlo \u202e", "lre \u202a", "rli \u2067", "pdi \u2069"])
def test_every_control_character_is_refused(text):
    # before the review only C0 (below U+0020) was refused; DEL and the C1 controls
    # (U+009B starts an escape sequence on terminals that read C1) went through
    assert chat.parse_command(text) == ("error", "control characters are not allowed")


@pytest.mark.parametrize("text", ["\u05e9\u05dc\u05d5\u05dd", "\u0645\u0631\u062d\u0628\u0627",
                                  "zero\u200bwidth", "caf\u00e9 \u2014 ok"])
def test_right_to_left_text_and_ordinary_unicode_pass(text):
    assert chat.parse_command(text) == ("say", text)


def test_the_client_shows_a_hostile_servers_escape_sequences_as_text():
    hostile_line = "MSG eve \x1b[2J\x1b]0;pwned\x07 \u202eexe.txt\x9b1m\r\n"

    async def scenario():
        async def hostile(reader, writer):
            writer.write(b"OK welcome\n")
            await reader.readline()
            writer.write(b"OK you are ann\n" + hostile_line.encode("utf-8") + b"BYE\n")
            await writer.drain()
            writer.close()

        srv = await asyncio.start_server(hostile, "127.0.0.1", 0)
        port = srv.sockets[0].getsockname()[1]
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "stdlib_book.chat", "connect", "127.0.0.1", str(port),
                "--nick", "ann", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE)
            out, err = await proc.communicate(b"")
        finally:
            srv.close()
            await srv.wait_closed()
        return proc.returncode, out.decode("utf-8"), err.decode("utf-8")

    code, out, err = run(scenario())
    assert code in (0, 1), err
    assert not chat.has_control_characters(out.replace("\n", "")), repr(out)
    assert "MSG eve \\x1b[2J\\x1b]0;pwned\\x07 \\u202eexe.txt\\x9b1m\\r\n" in out


@pytest.mark.parametrize("text", ["\x1b[31m", "a\rb", "\u2066x\u2069", "\x00", "\x85"])
def test_visible_leaves_nothing_the_chat_refuses(text):
    assert chat.has_control_characters(text) and not chat.has_control_characters(
        chat.visible(text))
    assert chat.visible("caf\u00e9 \u05e9\u05dc\tok") == "caf\u00e9 \u05e9\u05dc\tok"
