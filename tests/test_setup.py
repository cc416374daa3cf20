"""The set-up that `make book` and `make test` share: pinned requirements, book configuration, CI."""

import re

import yaml

from conftest import ROOT


def test_every_requirement_is_pinned_to_an_exact_version():
    lines = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    requirements = [line for line in lines if line]
    assert requirements
    loose = [line for line in requirements if not re.fullmatch(r"[A-Za-z0-9._-]+==[0-9][0-9A-Za-z.+-]*", line)]
    assert not loose, f"pin these with ==: {loose}"
    names = {line.split("==")[0].lower() for line in requirements}
    assert {"jupyter-book", "tensorflow-cpu", "keras", "nbgrader", "jupyterlab", "scikit-learn", "matplotlib", "pytest"} <= names
    assert next(line for line in requirements if line.startswith("jupyter-book==")).startswith("jupyter-book==1.")


def test_book_configuration_executes_with_cache_timeout_and_only_toc_files():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["sphinx"]["config"]["language"] == "ko" and config["only_build_toc_files"] is True
    assert config["execute"]["execute_notebooks"] == "cache"
    assert config["execute"]["timeout"] >= 60 and config["execute"]["allow_errors"] is False
    assert config["execute"]["stderr_output"] in {"warn", "error", "severe"}


def test_book_build_is_strict_and_ci_runs_the_readme_test_command():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^BOOK_FLAGS := .*--warningiserror", makefile, re.M)
    assert re.search(r"^test: setup\b", makefile, re.M) and re.search(r"^book: setup\b", makefile, re.M)
    assert "make test" in (ROOT / "README.md").read_text() and "make book" in (ROOT / "README.md").read_text()
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci[-1] == "make test"


def test_build_output_environment_data_and_grading_state_are_ignored_by_git():
    ignored = (ROOT / ".gitignore").read_text().split()
    for entry in ("/.venv/", "/.keras/", "/_build/", "/gradebook.db", "/submitted/", "/autograded/", "/feedback/"):
        assert entry in ignored
