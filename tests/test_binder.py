"""What Binder installs from this repository, decided by repo2docker's own code (offline).

repo2docker (the tool Binder builds images with) reads only ``binder/`` when
that directory exists. Without it, pyproject.toml's ``[project]`` and
``[build-system]`` make it run ``pip install .`` after requirements.txt, which
replaces the editable install (``-e .``) with a copy in site-packages: edits to
``src/`` are then not seen, and chapter 1, which finds requirements.txt beside
the package's source, fails. These tests render the Dockerfile that repo2docker
would build (no image is built, nothing is fetched) and check what it installs.
"""

import re
from pathlib import Path

import pytest

# repo2docker imports python-json-logger under its old module name.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ROOT = Path(__file__).resolve().parent.parent
SUPPORTED = {"3.11", "3.13", "3.14", "3.15"}
# Files repo2docker reads from the repository's root when there is no binder/
# directory, and ignores when there is one (requirements.txt is read through
# binder/requirements.txt).
IGNORED_AT_ROOT = ["runtime.txt", "environment.yml", "apt.txt", "postBuild", "start",
                   "install.R", "REQUIRE", "Project.toml", "Pipfile", "Pipfile.lock",
                   "setup.py", "default.nix", "Dockerfile", "requirements3.txt", "description"]


def requirement_lines(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8")
             .splitlines())
    return [line for line in lines if line]


@pytest.fixture(scope="module")
def dockerfile():
    """The Dockerfile repo2docker renders for this repository, and its build pack."""
    from repo2docker.app import Repo2Docker
    from repo2docker.utils import chdir

    app = Repo2Docker()
    with chdir(str(ROOT)):
        for buildpack_class in app.buildpacks:  # as Repo2Docker.build picks one
            buildpack = buildpack_class(base_image=app.base_image)
            if buildpack.detect():
                break
        else:
            buildpack = app.default_buildpack(base_image=app.base_image)
        buildpack.platform = "linux/amd64"
        text = buildpack.render({"NB_USER": "jovyan", "NB_UID": "1000"})
        return type(buildpack).__name__, text, buildpack.python_version


def test_binder_installs_requirements_txt_editable_and_no_copy_of_the_package(dockerfile):
    name, text, _ = dockerfile
    assert name == "PythonBuildPack"
    installs = [line for line in text.splitlines() if re.search(r"\bpip install\b", line)]
    assert installs == ['RUN ${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir '
                        '-r "binder/requirements.txt"'], installs
    # After the whole repository is copied, in its root: `-e .` names it.
    copy = text.index("COPY --chown=1000:1000 src/ ${REPO_DIR}/")
    assert text.rindex("WORKDIR ${REPO_DIR}", 0, copy) < copy < text.index(installs[0])


def test_binder_requirements_are_requirements_txt_with_the_editable_package():
    assert requirement_lines(ROOT / "binder" / "requirements.txt") == ["-r ../requirements.txt"]
    assert "-e ." in requirement_lines(ROOT / "requirements.txt")


def test_binder_runs_a_supported_python(dockerfile):
    runtime = (ROOT / "binder" / "runtime.txt").read_text(encoding="utf-8").strip()
    version = runtime.removeprefix("python-")
    assert runtime.startswith("python-") and version in SUPPORTED, runtime
    assert dockerfile[2] == version
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"Binder runs the newest version it offers, {version} (`binder/runtime.txt`)" in readme


def test_nothing_at_the_root_that_binder_would_ignore():
    found = [name for name in IGNORED_AT_ROOT if (ROOT / name).exists()]
    assert not found, f"repo2docker reads only binder/, so these are ignored: {found}"


def test_readme_links_to_the_book_and_binder_as_repository_url_says():
    import yaml
    from book_links import configured_book_url

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    owner, name = config["repository"]["url"].rstrip("/").split("/")[-2:]
    branch = config["repository"]["branch"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"<{configured_book_url()}>" in readme
    badge = (f"[![Binder]({config['launch_buttons']['binderhub_url']}/badge_logo.svg)]"
             f"({config['launch_buttons']['binderhub_url']}/v2/gh/{owner}/{name}/{branch}"
             "?urlpath=lab)")
    assert badge in readme
