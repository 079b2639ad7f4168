import gzip
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stdlib_book import loganalyser as la
from stdlib_book.cli import EXIT_FAILED
from stdlib_book.commands import python

GOOD = ('192.0.2.1 - frank [10/Mar/2024:13:55:36 +0000] "GET /products/42?ref=x HTTP/1.1" '
        '200 2326 "http://example.com/" "Mozilla/5.0 \\"quoted\\"" 153000\n')


def test_one_line_every_field():
    m = la.LINE.match(GOOD)
    assert m and m["client"] == "192.0.2.1" and m["status"] == "200"
    assert m["target"] == "/products/42?ref=x" and m["duration"] == "153000"


@pytest.mark.parametrize("line", [
    '192.0.2.1 - - [10/Mar/2024:13:55:36 +0000] "GET / HTTP/1.0" 304 -\n',  # Common Log Format
    '192.0.2.1 - - [10/Mar/2024:13:55:36 -0500] "POST /a HTTP/2" 201 10 "-" "ua"\n',  # no %D
])
def test_variants_without_the_time_field_parse(line):
    a = la.analyse([line])
    assert a.malformed == 0 and a.latency == {}


@pytest.mark.parametrize(("unit", "ms"), [("us", 153.0), ("ms", 153000.0), ("s", 153e6)])
def test_time_units(unit, ms):
    assert la.analyse([GOOD], time_unit=unit).latency["/products/:id"].max == ms


def test_bad_time_unit():
    with pytest.raises(ValueError, match="time_unit"):
        la.analyse([], time_unit="minutes")


def test_counts_and_malformed_examples():
    lines = [GOOD, "garbage\n", GOOD.replace(" 200 ", " 503 "), ""]
    a = la.analyse(lines)
    assert (a.lines, a.malformed, a.parsed) == (4, 2, 2)
    assert a.malformed_examples == [(2, "garbage"), (4, "")]
    assert a.status == {"200": 1, "503": 1}
    assert a.endpoint_errors == {"/products/:id": 1}
    assert a.hours == {"13": 2} and a.clients == {"192.0.2.1": 2}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=120)))
def test_arbitrary_text_never_crashes(lines):
    a = la.analyse(lines)
    assert a.lines == len(lines) and a.malformed <= a.lines


def test_generator_is_deterministic_and_has_what_it_promises():
    first = list(la.generate_lines(3000, seed=3))
    assert first == list(la.generate_lines(3000, seed=3))
    assert first != list(la.generate_lines(3000, seed=4))
    a = la.analyse(la.generate_lines(20_000, seed=3))
    assert 0 < a.malformed < 200
    assert a.clients.most_common(1)[0][0] == "203.0.113.7"
    assert la.slowest(a, 1)[0][0] == "/reports/:id/pdf"
    spikes = la.error_spikes(a)
    assert [s.start[-5:] for s in spikes] == ["14:00"]


def test_histogram_quantiles_are_within_ten_percent():
    h = la.LatencyHistogram()
    values = [1.0 + i * 0.37 for i in range(5000)]
    for v in values:
        h.add(v)
    exact = sorted(values)[math.ceil(0.95 * len(values)) - 1]
    assert exact <= h.quantile(0.95) <= exact * 1.1
    assert math.isnan(la.LatencyHistogram().quantile(0.5))


def test_memory_does_not_grow_with_the_log():
    small = la.peak_memory(la.analyse, la.generate_lines(2000, seed=1))[1]
    large = la.peak_memory(la.analyse, la.generate_lines(16_000, seed=1))[1]
    assert large < 2 * small


def test_cli_writes_csv_and_plot_and_never_overwrites(tmp_path):
    log = tmp_path / "access.log.gz"
    ran = python("-m", "stdlib_book.loganalyser", "generate", log, "--lines", "5000")
    assert ran.returncode == 0, ran.stderr
    with gzip.open(log, "rt", encoding="utf-8") as f:
        assert sum(1 for _ in f) == 5000
    out = tmp_path / "report"
    ran = python("-m", "stdlib_book.loganalyser", "analyse", log, "--out", out)
    assert ran.returncode == 0, ran.stderr
    assert "malformed line(s) skipped" in ran.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(la.OUTPUT_FILES)
    header = (out / "endpoints.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "endpoint,requests,5xx,mean_ms,p95_ms,max_ms"
    assert (out / "per-minute.png").read_bytes()[:4] == b"\x89PNG"
    again = python("-m", "stdlib_book.loganalyser", "analyse", log, "--out", out)
    assert again.returncode == 2 and "use --force" in again.stderr
    forced = python("-m", "stdlib_book.loganalyser", "analyse", log, "--out", out, "--force")
    assert forced.returncode == 0
    refused = python("-m", "stdlib_book.loganalyser", "generate", log)
    assert refused.returncode == 2 and "output exists" in refused.stderr


def test_cli_reads_stdin_and_flags_a_mostly_broken_log(tmp_path):
    text = GOOD + "broken\n" * 3
    ran = python("-m", "stdlib_book.loganalyser", "analyse", "-", input=text)
    assert ran.returncode == 1 and "lines: 4  parsed: 1  malformed: 3" in ran.stdout
    ok = python("-m", "stdlib_book.loganalyser", "analyse", "-", "--max-bad", "0.9", input=text)
    assert ok.returncode == 0


@pytest.mark.parametrize(("argv", "message"), [
    (["analyse", "missing.log"], "no such log file"),
    (["analyse", "-", "--top", "x"], "expected a whole number"),
    (["analyse", "-", "--max-bad", "2"], "between 0 and 1"),
    (["generate", "x.log", "--lines", "-1"], "zero or more"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_usage_exits_2(argv, message, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        la.main(argv)
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_a_corrupt_gzip_fails_with_nothing_done(tmp_path):
    bad = tmp_path / "x.log.gz"
    bad.write_bytes(b"\x1f\x8b not really gzip")
    ran = python("-m", "stdlib_book.loganalyser", "analyse", bad)
    assert ran.returncode == EXIT_FAILED and "cannot read" in ran.stderr
    assert "Traceback" not in ran.stderr


def good_bytes_by_endpoint(lines):
    totals = {}
    for line in lines:
        if m := la.LINE.match(line):
            ep = la.endpoint(m["target"])
            try:
                size = 0 if m["size"] == "-" else int(m["size"])
            except ValueError:  # a size of more digits than int() converts
                continue
            totals[ep] = totals.get(ep, 0) + size
    return totals


def test_check_bytes_by_endpoint():
    assert la.check_bytes_by_endpoint(good_bytes_by_endpoint).passed

    def trusts_the_pattern(lines):  # the old solution: int() raised on a 5,000-digit size
        totals = {}
        for line in lines:
            if m := la.LINE.match(line):
                ep = la.endpoint(m["target"])
                totals[ep] = totals.get(ep, 0) + (0 if m["size"] == "-" else int(m["size"]))
        return totals

    assert not la.check_bytes_by_endpoint(trusts_the_pattern).passed

    def two_pass(lines):
        lines = list(lines) if isinstance(lines, list) else lines
        if not sum(1 for _ in lines):
            return {}
        return good_bytes_by_endpoint(lines)

    assert not la.check_bytes_by_endpoint(two_pass).passed

    def raw_targets(lines):
        totals = {}
        for line in lines:
            if m := la.LINE.match(line):
                size = 0 if m["size"] == "-" else int(m["size"])
                totals[m["target"]] = totals.get(m["target"], 0) + size
        return totals

    assert not la.check_bytes_by_endpoint(raw_targets).passed

    def dash_crashes(lines):
        totals = {}
        for line in lines:
            if m := la.LINE.match(line):
                ep = la.endpoint(m["target"])
                totals[ep] = totals.get(ep, 0) + int(m["size"])
        return totals

    assert not la.check_bytes_by_endpoint(dash_crashes).passed


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_one_endless_line_is_malformed_and_memory_stays_bounded(tmp_path, suffix):
    """A crashed log ending in megabytes of NUL bytes and no newline: the old
    `for line in f` held the whole tail as one string (peak ~2x its size)."""
    path = tmp_path / f"crashed.log{suffix}"
    opener = gzip.open if suffix else open
    with opener(path, "wb") as f:
        f.write(GOOD.encode() + b"\0" * 8_000_000 + b"\n" + GOOD.encode() + b"\0" * 8_000_000)
    a, peak = la.peak_memory(la.analyse_file, path)
    assert (a.lines, a.parsed, a.malformed) == (4, 2, 2) and a.read_error is None
    assert a.malformed_examples[0] == (2, "\0" * 80)
    assert peak < 1_000_000, peak  # the limit, a few times over, not the 8 MB line


def test_a_line_just_under_the_limit_is_read_whole(tmp_path):
    path = tmp_path / "long.log"
    long_good = GOOD.replace("?ref=x", "?ref=" + "x" * (la.MAX_LINE - len(GOOD) + 1))
    assert len(long_good) == la.MAX_LINE  # newline included
    path.write_text(long_good + long_good.replace("ref=", "ref=y"), encoding="utf-8")
    a = la.analyse_file(path)
    assert (a.lines, a.parsed) == (2, 1)  # the second is one character too long
