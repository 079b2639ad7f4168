"""Every chapter as a reader runs it: in JupyterLab, in a real browser.

One JupyterLab from ``_build/binder-env`` (requirements.txt alone, as Binder
builds it) is started on 127.0.0.1, port 0, with a random token, serving
*copies* of the notebooks in a temporary directory (the repository's notebooks
are never written). Debian's Chromium, driven by Playwright, opens each
chapter in turn, runs all its cells and waits for the kernel to go idle, then
checks what a reader sees: no error outside a ``raises-exception`` cell, an
output under every code cell, every MyST directive (exercise, solution,
admonition) rendered as a box by jupyterlab-myst and never as fenced text, no
unresolved cross-reference, maths typeset, every solution collapsed until the
reader opens it, and the self-checks' feedback. A screenshot of each chapter
goes to ``_build/screenshots/<notebook>-jupyterlab.png``, next to the book's
own. JupyterLab is shut down at the end, leaving no process or port behind.

``BOOK_NOTEBOOKS=<dir>`` checks the notebooks in another directory instead
(used to show that the checks fail on a broken copy).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from browser import chromium
from jupyterlab import running_lab

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SOURCE = Path(os.environ.get("BOOK_NOTEBOOKS", ROOT / "notebooks"))
SHOTS = ROOT / "_build" / "screenshots"
NOTEBOOKS = sorted(path.name for path in SOURCE.glob("*.ipynb"))
# Every directive in a markdown cell is drawn as a box by jupyterlab-myst
# (exercise, solution, the admonitions), except these; a misspelt or unknown
# directive draws no box and fails.
NOT_BOXED = {"math", "figure", "image", "code", "code-block", "code-cell", "list-table",
             "table", "csv-table", "mermaid", "raw", "glossary", "toctree", "embed"}
DIRECTIVE = re.compile(r"^\s*(?:`{3,}|:{3,})\{([\w-]+)\}", re.MULTILINE)
CODE = re.compile(r"^(`{3,}).*?^\1", re.MULTILINE | re.DOTALL)
INLINE_MATH = re.compile(r"(?<![\\$])\$[^$\s](?:[^$\n]*[^$\s\\])?\$(?!\$)|\$\$.+?\$\$", re.DOTALL)
# MyST that leaked into the rendered text: a directive or role name in braces,
# or a directive's options.
RAW = re.compile(r"\{(?:exercise|solution|note|tip|hint|important|warning|caution|attention"
                 r"|danger|error|seealso|admonition|ref|doc|term|numref|math)\}"
                 r"|^:(?:label|class|name):", re.MULTILINE)
RUN_TIMEOUT_MS = 900_000  # the slowest chapter on one busy CPU, with room


def expected_math(markdown: str) -> int:
    """How many maths spans a markdown cell has, outside code (a rough count)."""
    text = re.sub(r"`[^`\n]*`", "", markdown)
    text = re.sub(r"^(`{3,})(?!\{).*?^\1", "", text, flags=re.MULTILINE | re.DOTALL)
    return len(INLINE_MATH.findall(text))


@pytest.fixture(scope="module")
def workdir():
    originals = {name: (SOURCE / name).read_bytes() for name in NOTEBOOKS}
    with tempfile.TemporaryDirectory(prefix="lab-notebooks-") as tmp:
        for name in NOTEBOOKS:
            shutil.copy2(SOURCE / name, Path(tmp) / name)
        yield Path(tmp)
    changed = [name for name in NOTEBOOKS if (SOURCE / name).read_bytes() != originals[name]]
    assert not changed, f"notebooks changed while JupyterLab ran copies of them: {changed}"


@pytest.fixture(scope="module")
def lab(workdir):
    guard = {"PYTHONPATH": str(ROOT / "tests" / "netguard"),
             "NETGUARD_LOG": str(workdir / "netguard.log")}
    with running_lab(workdir, env_extra=guard) as (base, token):
        yield base, token
    log = workdir / "netguard.log"
    if log.exists() and log.read_text(encoding="utf-8").strip():
        pytest.fail(f"connections beyond loopback:\n{log.read_text(encoding='utf-8')}")


class Lab:
    """One browser page on JupyterLab, and what went wrong in it."""

    def __init__(self, browser, base: str, token: str):
        self.base = base
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.route("**/*", self._only_local)
        self.page.goto(f"{base}/lab?token={token}")
        self.page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started",
                                    timeout=120_000)
        self.page.evaluate("() => window.jupyterapp.started")

    def _console(self, message) -> None:
        if message.type in ("error", "warning"):
            self.console.append(f"{message.type}: {message.text}")

    def _only_local(self, route) -> None:
        url = route.request.url
        if url.startswith(self.base) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.problems.append(f"request beyond the local JupyterLab: {url}")
            route.abort()


@pytest.fixture(scope="module")
def lab_page(lab):
    with chromium() as browser:
        seen = Lab(browser, *lab)
        # Loading warnings (webpack's shared-module versions) are reported once.
        seen.startup_console = list(seen.console)
        yield seen
        seen.context.close()


# Run All sends every code cell to the kernel at once; the command's promise
# settles at the first error reply, even one from a cell tagged raises-exception
# (JupyterLab then marks every cell not yet answered as idle although the kernel
# still runs them). So the wait is for the kernel: every execute_request sent has
# had its execute_reply (ok, error or aborted), and the kernel is idle.
RUN_ALL = """async ([name, timeout]) => {
  const app = window.jupyterapp;
  const panel = await app.commands.execute('docmanager:open', {path: name, factory: 'Notebook'});
  await panel.context.ready;
  await panel.sessionContext.ready;
  const kernel = panel.sessionContext.session.kernel;
  const statuses = [];
  panel.sessionContext.statusChanged.connect((_, status) => statuses.push(status));
  const requests = new Set();
  const replies = {};
  kernel.anyMessage.connect((_, {msg, direction}) => {
    if (direction === 'send' && msg.header.msg_type === 'execute_request') {
      requests.add(msg.header.msg_id);
    } else if (direction === 'recv' && msg.header.msg_type === 'execute_reply') {
      replies[msg.parent_header.msg_id] = msg.content.status;
    }
  });
  const started = performance.now();
  let finished;
  try {
    finished = await app.commands.execute('notebook:run-all-cells');
  } catch (error) {
    finished = String(error);
  }
  // JupyterLab sends no request for an empty code cell.
  const code = panel.content.widgets.filter(
    c => c.model.type === 'code' && c.model.sharedModel.getSource().trim()).length;
  while (kernel.status !== 'idle' || requests.size < code ||
         [...requests].some(id => !(id in replies))) {
    if (performance.now() - started > timeout) {
      return {kernel: kernel.name, seconds: timeout / 1000, timedOut: true, finished, statuses,
              requests: requests.size, code};
    }
    await new Promise(r => setTimeout(r, 200));
  }
  const counts = {};
  for (const status of Object.values(replies)) counts[status] = (counts[status] || 0) + 1;
  return {kernel: kernel.name, seconds: (performance.now() - started) / 1000, timedOut: false,
          finished, statuses: [...new Set(statuses)], requests: requests.size, code,
          replies: counts};
}"""

CELLS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  return panel.content.widgets.map((cell, index) => {
    const m = cell.model;
    const out = {index, type: m.type, tags: m.getMetadata('tags') || [],
                 source: m.sharedModel.getSource(), inputHidden: cell.inputHidden};
    if (m.type === 'code') {
      out.outputs = m.outputs.toJSON();
      out.count = m.executionCount;
      const editor = cell.node.querySelector('.jp-Cell-inputWrapper .jp-InputArea');
      out.editorVisible = !!(editor && editor.offsetParent !== null);
      out.placeholder = !!cell.node.querySelector('.jp-InputPlaceholder');
    } else if (m.type === 'markdown') {
      const view = cell.node.querySelector('.jp-MarkdownOutput, .myst');
      out.rendered = cell.rendered;
      out.text = view ? view.innerText : '';
      // jupyterlab-myst draws an unknown (say, misspelt) directive as a red
      // box too, titled '<name> - Unknown Directive': not a rendered directive.
      const boxes = [...cell.node.querySelectorAll('.myst-exercise, .myst-admonition')];
      out.unknown = boxes.map(b => (b.querySelector('summary, .myst-exercise-title, ' +
                                                    '.myst-admonition-header') || b).textContent)
                         .filter(title => title.includes('Unknown Directive'));
      out.boxes = boxes.length - out.unknown.length;
      out.openSolutions = cell.node.querySelectorAll('details.myst-exercise[open]').length;
      out.solutions = cell.node.querySelectorAll('details.myst-exercise').length;
      out.math = cell.node.querySelectorAll('.katex, mjx-container').length;
      out.mathErrors = cell.node.querySelectorAll('.katex-error, [data-mjx-error]').length;
      // Relative links JupyterLab opens as files: they must name a file that exists.
      out.localLinks = [...cell.node.querySelectorAll(
        'a[data-commandlinker-command="rendermime:handle-local-link"]')].map(
        a => JSON.parse(a.dataset.commandlinkerArgs).path);
    }
    return out;
  });
}"""

SCROLL_TO_TOP = """() => {
  const notebook = window.jupyterapp.shell.currentWidget.content;
  const outer = notebook.node.querySelector('.jp-WindowedPanel-outer') || notebook.node;
  outer.scrollTop = 0;
}"""

CLOSE = """async () => {
  const panel = window.jupyterapp.shell.currentWidget;
  await panel.sessionContext.shutdown();
  panel.context.model.dirty = false;  // never asked to save: Run All leaves nothing on disk
  panel.dispose();
}"""


def text_of(output: dict) -> str:
    if output["output_type"] == "stream":
        text = output["text"]
    elif output["output_type"] == "error":
        text = "\n".join(output["traceback"])
    else:
        text = output.get("data", {}).get("text/plain", "")
    return text if isinstance(text, str) else "".join(text)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_chapter_runs_and_reads_well_in_jupyterlab(lab_page, workdir, name):
    page = lab_page.page
    lab_page.console.clear()
    lab_page.problems.clear()
    before = (workdir / name).read_bytes()
    run = page.evaluate(RUN_ALL, [name, RUN_TIMEOUT_MS])
    cells = page.evaluate(CELLS)
    page.evaluate(SCROLL_TO_TOP)
    page.wait_for_timeout(300)  # let the scrolled-to cells paint
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / f"{Path(name).stem}-jupyterlab.png"
    page.screenshot(path=str(shot))
    page.evaluate(CLOSE)
    problems = list(lab_page.problems)

    assert run["kernel"] in ("python3", "stdlib-book-binder"), run
    lost = {"restarting", "autorestarting", "dead"} & set(run["statuses"])
    if lost:
        problems.append(f"the kernel was lost during Run All: {run['statuses']}")
    if run["timedOut"]:
        problems.append(f"still running after {RUN_TIMEOUT_MS / 1000:.0f} s")
    for cell in cells:
        where = f"cell {cell['index']}"
        if cell["type"] == "code":
            errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
            if errors and "raises-exception" not in cell["tags"]:
                problems.append(f"{where}: error output: {text_of(errors[0])[-300:]}")
            if not errors and "raises-exception" in cell["tags"]:
                problems.append(f"{where}: tagged raises-exception but raised nothing")
            if not cell["outputs"]:
                problems.append(f"{where}: no output")
            if cell["count"] is None:
                problems.append(f"{where}: never executed")
            if "hide-input" in cell["tags"]:
                if not cell["inputHidden"] or cell["editorVisible"] or not cell["placeholder"]:
                    problems.append(f"{where}: solution code is open (hide-input cell without"
                                    " metadata.jupyter.source_hidden)")
                feedback = "".join(text_of(o) for o in cell["outputs"])
                if not re.search(r"^\[pass\] ", feedback, re.MULTILINE):
                    problems.append(f"{where}: the solution's self-check printed no [pass]: "
                                    f"{feedback[:200]!r}")
        elif cell["type"] == "markdown":
            source = CODE.sub(lambda m: m.group(0) if DIRECTIVE.match(m.group(0)) else "",
                              cell["source"])
            wanted = [d for d in DIRECTIVE.findall(source) if d not in NOT_BOXED]
            if not cell["rendered"]:
                problems.append(f"{where}: markdown not rendered")
            if cell["unknown"]:
                problems.append(f"{where}: directive(s) drawn as unknown: {cell['unknown']}")
            if len(wanted) > cell["boxes"]:
                problems.append(f"{where}: {len(wanted)} directive(s) {wanted} but "
                                f"{cell['boxes']} box(es) rendered")
            raw = RAW.findall(cell["text"])
            if raw:
                problems.append(f"{where}: MyST shown as raw text: {raw}")
            dead = [link for link in cell["localLinks"] if not (workdir / link).exists()]
            if dead:
                problems.append(f"{where}: links to files that do not exist: {dead}")
            if cell["openSolutions"]:
                problems.append(f"{where}: {cell['openSolutions']} solution box(es) open")
            math = expected_math(cell["source"])
            if cell["math"] < math or cell["mathErrors"]:
                problems.append(f"{where}: maths typeset {cell['math']} of {math}, "
                                f"{cell['mathErrors']} error(s)")
    exercises = sum(c["source"].count("{exercise}") for c in cells if c["type"] == "markdown")
    not_yet = sum(text_of(o).count("[not yet]") for c in cells if c["type"] == "code"
                  for o in c["outputs"])
    if not_yet < exercises:
        problems.append(f"{exercises} exercises but {not_yet} '[not yet]' self-check feedback")
    problems += [f"console {line}" for line in dict.fromkeys(lab_page.console)]
    assert (workdir / name).read_bytes() == before, "Run All saved the notebook"
    assert shot.stat().st_size > 10_000
    print(f"{name}: ran in {run['seconds']:.1f} s in JupyterLab; replies {run.get('replies')}")
    assert not problems, f"{name} in JupyterLab:\n" + "\n".join(problems)


def test_jupyterlab_loads_without_console_errors(lab_page):
    print("\n".join(["JupyterLab's start-up console:", *lab_page.startup_console]))
    errors = [line for line in lab_page.startup_console if line.startswith("error")]
    assert not errors, errors


