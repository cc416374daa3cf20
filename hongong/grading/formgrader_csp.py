"""A Content-Security-Policy on nbgrader's formgrader pages, so that nothing a learner's notebook puts there runs.

Its one job: every response of formgrader (nbgrader 0.9's server extension, ``/formgrader/...``) carries a
strict policy with a fresh nonce, and formgrader's own ``<script>`` tags, and only those, carry that nonce.
Who runs it: the instructor's Jupyter server. ``make lab-instructor`` starts JupyterLab with ``--config`` pointing at
``jupyter_server_config.py`` (repository root), which enables this module as a Jupyter server extension.

Why: formgrader shows a submission by converting the autograded notebook to HTML inside a page that also
holds formgrader's scripts, in the instructor's logged-in session. A learner's ``text/html`` or
``application/javascript`` output, an SVG with a ``<script>``, or raw HTML in a markdown answer would run
there with the instructor's rights: formgrader's grade API, Jupyter's contents API. ``hongong/grading/inert.py``
strips such content while autograding; this is the second layer, in the browser.

How (formgrader's own handlers are wrapped when the server loads this extension):

- The nonce goes into the *template source* of nbgrader's formgrader templates (each ``<script`` there),
  never into rendered HTML, so nothing a notebook brings gets it. nbconvert's base templates, which turn an
  ``application/javascript`` output into a ``<script>``, are left alone: that script has no nonce.
- formgrader's own inline event handlers (``onclick="toggle_name(true);"``, ...) are allowed by their hashes
  ('unsafe-hashes'), read from the templates at start-up; any other handler, and ``javascript:`` URLs, are not.
- MathJax 2 cannot run without 'unsafe-eval' (it evaluates its configuration, and would evaluate a learner's
  ``<script type="text/x-mathjax-config">`` just the same), so formgrader's submission page does not load it
  from the CDN: a stub answers the one call formgrade.js makes (its start-up signal), which keeps the keyboard
  shortcuts (flag, next/previous, tab) working, offline too. TeX in an answer shows as its source.
- formgrader's other pages are rendered with autoescape: a value from the URL (a student id) cannot end the
  JavaScript string it is put in, inside a nonced script (``/formgrader/manage_students/";fetch(...)//``).
- Files a learner handed in next to the notebook, which formgrader serves at
  ``/formgrader/submissions/<id>/<file>``, also get ``sandbox``: a planted ``.html`` runs nothing, in no origin.
- One hole a policy cannot close is closed here too: ``/formgrader?path=DIR`` would execute ``DIR/nbgrader_config.py``
  (a file a learner can hand in, copied into ``autograded/``) in this server. Only the course root is accepted.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from pathlib import Path

from jinja2 import BaseLoader, Environment, FileSystemLoader

SCRIPT_TAG = re.compile(r"<script\b", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*"([^"]*)\"""", re.IGNORECASE)

# formgrade.js (configureScrolling) waits for MathJax's start-up signal "End" before it selects the first input.
MATHJAX = "{{ mathjax() }}"
MATHJAX_STUB = """<script>
// hongong.grading.formgrader_csp: MathJax 2 needs 'unsafe-eval'; formgrade.js only waits for its start-up signal.
window.MathJax = {Hub: {Queue: function () {}, Typeset: function () {},
                        Startup: {signal: {Interest: function (callback) { callback("End"); }}}}};
</script>"""


def policy(nonce: str, handler_hashes: list[str], report_uri: str, sandbox: bool = False) -> str:
    """The policy of one formgrader response: scripts only with ``nonce``, inline handlers only by hash."""
    directives = [
        "default-src 'none'",
        " ".join([f"script-src 'nonce-{nonce}'", *(["'unsafe-hashes'", *handler_hashes] if handler_hashes else [])]),
        "style-src 'self' 'unsafe-inline'",  # nbconvert inlines its CSS; outputs carry style attributes
        "img-src 'self' data:",              # figures are data: URLs
        "font-src 'self' data:",
        "connect-src 'self'",                # formgrader's own API calls
        "base-uri 'none'",
        "form-action 'none'",                # formgrader has no form; it saves with XHR
        "frame-ancestors 'self'",            # JupyterLab shows formgrader in an iframe
        f"report-uri {report_uri}",          # violations are logged by the Jupyter server
    ]
    if sandbox:
        directives.append("sandbox")
    return "; ".join(directives)


def handler_hashes(templates: Path) -> list[str]:
    """'sha256-…' of every static inline event handler in formgrader's templates (``onclick="toggle_name(true);"``)."""
    found = set()
    for path in sorted(templates.rglob("*")):
        if path.suffix in (".tpl", ".j2"):
            found |= {code for code in INLINE_HANDLER.findall(path.read_text(encoding="utf-8")) if "{" not in code}
    return [f"'sha256-{base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()}'" for code in sorted(found)]


class NonceLoader(BaseLoader):
    """Templates from one folder with each ``<script`` given ``nonce="{{ <expression> }}"`` (and fixed replacements)."""

    def __init__(self, folder: Path, expression: str, replace: dict[str, str] | None = None):
        self.inner = FileSystemLoader(str(folder))
        self.expression = expression
        self.replace = replace or {}

    def get_source(self, environment, template):
        source, filename, uptodate = self.inner.get_source(environment, template)
        for old, new in self.replace.items():
            source = source.replace(old, new)
        return SCRIPT_TAG.sub(f'<script nonce="{{{{ {self.expression} }}}}"', source), filename, uptodate


class NoncedExporter:
    """formgrader's HTML exporter, with the response's nonce in the resources its templates see."""

    def __init__(self, exporter, nonce: str):
        self.exporter, self.nonce = exporter, nonce

    def from_filename(self, filename, resources=None, **kwargs):
        return self.exporter.from_filename(filename, resources={**(resources or {}), "csp_nonce": self.nonce}, **kwargs)

    def __getattr__(self, name):
        return getattr(self.exporter, name)


def _jupyter_server_extension_points():
    return [{"module": "hongong.grading.formgrader_csp"}]


def _load_jupyter_server_extension(serverapp):
    """Wrap formgrader's handlers (all derive from its BaseHandler): header, page templates, notebook exporter."""
    from jupyter_server.utils import url_path_join
    from nbgrader.server_extensions.formgrader import base, handlers
    from tornado import web

    templates = Path(handlers.template_path)
    hashes = handler_hashes(templates)
    pages = Environment(loader=NonceLoader(templates, "csp_nonce"), autoescape=True)
    if MATHJAX not in (templates / "formgrade" / "index.html.j2").read_text(encoding="utf-8"):
        serverapp.log.warning("hongong.grading.formgrader_csp: formgrader's template no longer calls mathjax(); check the stub")
    notebook_loader = NonceLoader(templates / "formgrade", "resources.csp_nonce", {MATHJAX: MATHJAX_STUB})

    def nonce(handler) -> str:
        if "_csp_nonce" not in handler.__dict__:
            handler._csp_nonce = secrets.token_urlsafe(18)  # per response: a handler serves one request
        return handler._csp_nonce

    def content_security_policy(handler) -> str:
        report_uri = url_path_join(handler.settings.get("base_url", "/"), "api/security/csp-report")
        return policy(nonce(handler), hashes, report_uri, sandbox=isinstance(handler, handlers.SubmissionFilesHandler))

    def render(handler, name, **namespace) -> str:
        return pages.get_template(name).render(csp_nonce=nonce(handler), **namespace)

    def exporter(handler) -> NoncedExporter:
        html_exporter = handler.settings["nbgrader_exporter"]
        if notebook_loader not in html_exporter.extra_loaders:  # tried before nbconvert's own folders
            html_exporter.extra_loaders = [notebook_loader, *html_exporter.extra_loaders]
        return NoncedExporter(html_exporter, nonce(handler))

    course_root = Path(serverapp.root_dir).resolve()
    open_course = handlers.FormgraderHandler.get

    def get_only_this_course(handler):
        """``/formgrader?path=DIR`` loads ``DIR/nbgrader_config.py`` (Python) into this server: a link in a notebook
        to a hand-in folder holding one would run a learner's code as the instructor. Only the course root may be named."""
        path = handler.get_argument("path", "")
        if path and Path(path).resolve() != course_root:
            raise web.HTTPError(403, "formgrader serves this course only (hongong.grading.formgrader_csp)")
        return open_course(handler)

    handlers.FormgraderHandler.get = get_only_this_course
    base.BaseHandler.content_security_policy = property(content_security_policy)
    base.BaseHandler.render = render
    base.BaseHandler.exporter = property(exporter)
    serverapp.log.info("hongong.grading.formgrader_csp: formgrader pages get a nonce-based Content-Security-Policy")
