"""formgrader's Content-Security-Policy (hongong/grading/formgrader_csp.py) read from its headers and pages (quick).

No grading and no browser: JupyterLab is started as `make lab-instructor` starts it, in a course with ch07-1
released and one submission whose autograded notebook holds the hostile learner's payloads raw
(tests/hostile_notebook.py). Every formgrader page carries a fresh nonce that only formgrader's own scripts carry
(its inline handlers allowed by their hashes); a value from the URL cannot end a string in a nonced script; a
nbgrader_config.py planted in a hand-in folder is never run through ``?path=``; a file handed in next to the
notebook is served sandboxed. The same payloads in a real browser: tests/test_formgrader_hostile.py.
"""

import base64
import hashlib
import shutil
import urllib.error
import urllib.parse
from html.parser import HTMLParser

import nbformat
import pytest

from class_submissions import submission
from conftest import ROOT
from formgrader_lab import Lab, directives, free_port
from hostile_notebook import ANSWER, PLANTED, hostile_answer, hostile_cells


class Scripts(HTMLParser):
    """Every <script> of a page: (attributes, text)."""

    def __init__(self, html):
        super().__init__()
        self.scripts, self.current = [], None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.current = (dict(attrs), [])
            self.scripts.append(self.current)

    def handle_data(self, data):
        if self.current is not None:
            self.current[1].append(data)

    def handle_endtag(self, tag):
        if tag == "script":
            self.current = None


def sha256(code):
    return f"'sha256-{base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()}'"


FORMGRADER_HANDLERS = ["toggle_name(true);", "toggle_name(false);", "toggleAllNames()", "createAssignmentModal();",
                       "createStudentModal();"]


@pytest.fixture(scope="module")
def quick_lab(tmp_path_factory):
    """A course with ch07-1 released and one submission whose autograded notebook holds the raw payloads (no grading)."""
    from nbgrader.api import Gradebook

    from hongong.grading.gradebook import run_nbgrader

    course = tmp_path_factory.mktemp("csp")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions", course / "solutions")
    shutil.copytree(ROOT / "checks", course / "checks")
    run_nbgrader(course, "generate_assignment", "ch07-1", "--force")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="hongong-ch7") as gradebook:
        gradebook.add_student("quick")
        gradebook.add_submission("ch07-1", "quick")
    port = free_port()
    notebook = submission("ch07-1", {ANSWER: hostile_answer(f"http://127.0.0.1:{port}")})
    notebook.cells += [nbformat.v4.new_code_cell(source, outputs=outputs) for source, outputs in hostile_cells(f"http://127.0.0.1:{port}")]
    folder = course / "autograded" / "quick" / "ch07-1"
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / "ch07-1.ipynb")
    (folder / "pwn.html").write_text(PLANTED["pwn.html"](f"http://127.0.0.1:{port}"), encoding="utf-8")
    server = Lab(course, port, course.parent / "csp-lab.log")
    yield server
    server.stop()


def test_formgrader_pages_carry_a_nonce_policy_that_only_formgrader_scripts_meet(quick_lab):
    lab = quick_lab
    (submission_id,) = lab.submission_ids().values()
    headers, html = lab.request(f"/formgrader/submissions/{submission_id}/?index=0")
    policy = directives(headers["Content-Security-Policy"])
    script_src = policy["script-src"]
    (nonce,) = [value[len("'nonce-"):-1] for value in script_src if value.startswith("'nonce-")]
    assert set(script_src) == {f"'nonce-{nonce}'", "'unsafe-hashes'", *map(sha256, FORMGRADER_HANDLERS)}, script_src
    assert policy["default-src"] == ["'none'"] and policy["base-uri"] == ["'none'"] and policy["form-action"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'self'"] and "'unsafe-eval'" not in headers["Content-Security-Policy"]
    assert not any("unsafe-inline" in value or "script" in name and value in ("'self'", "*", "data:", "'strict-dynamic'")
                   for name, values in policy.items() if name.startswith("script") for value in values)

    scripts = Scripts(html).scripts
    payloads = [(attrs, text) for attrs, text in scripts
                if "PWNED" in "".join(text) or attrs.get("src", "").startswith(("data:", "pwn"))]
    own = [(attrs, text) for attrs, text in scripts if (attrs, text) not in payloads]
    assert len(payloads) >= 5 and len(own) >= 14, (len(payloads), len(own))  # (nbconvert shows an SVG as an <img>)
    assert all(attrs.get("nonce") == nonce for attrs, _ in own), own
    assert not any("nonce" in attrs for attrs, _ in payloads), payloads
    assert 'onclick="toggle_name(true);"' in html and "mathjax/2.7.7" not in html  # the MathJax stub instead

    other_headers, _ = lab.request(f"/formgrader/submissions/{submission_id}/?index=0")
    assert f"'nonce-{nonce}'" not in other_headers["Content-Security-Policy"]  # a fresh nonce for every response

    for path in ["/formgrader/manage_assignments", "/formgrader/gradebook", "/formgrader/gradebook/ch07-1/ch07-1",
                 "/formgrader/manage_students"]:
        headers, html = lab.request(path)
        (nonce,) = [v[len("'nonce-"):-1] for v in directives(headers["Content-Security-Policy"])["script-src"] if "nonce" in v]
        assert all(attrs.get("nonce") == nonce for attrs, _ in Scripts(html).scripts), path

    # A value from the URL cannot end the JavaScript string it lands in, inside a nonced script.
    _, html = lab.request("/formgrader/manage_students/%22%3Bdocument.title%3D%27PWNED%27%2F%2F")
    assert 'var student_id = "&#34;;document.title=&#39;PWNED&#39;//";' in html

    # formgrader's ?path= would execute DIR/nbgrader_config.py in the server: a planted one in a hand-in folder.
    marker = lab.course / "config-ran"
    (lab.course / "autograded" / "quick" / "ch07-1" / "nbgrader_config.py").write_text(
        f"open({str(marker)!r}, 'w').write('ran')\n", encoding="utf-8")
    with pytest.raises(urllib.error.HTTPError) as refused:
        lab.request("/formgrader?path=" + urllib.parse.quote(str(lab.course / "autograded" / "quick" / "ch07-1")))
    assert refused.value.code == 403 and not marker.exists()
    assert lab.request("/formgrader?path=" + urllib.parse.quote(str(lab.course)))[1]  # the course itself still opens

    # A file handed in next to the notebook, served by formgrader: sandboxed, and no script of its own runs.
    headers, body = lab.request(f"/formgrader/submissions/{submission_id}/pwn.html")
    assert "PWNED" in body and "sandbox" in directives(headers["Content-Security-Policy"])
    assert any(v.startswith("'nonce-") for v in directives(headers["Content-Security-Policy"])["script-src"])
