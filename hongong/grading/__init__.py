"""The instructor's grading engine: one module per stage, run by the instructor's process unless said otherwise.

When a class is graded (``python -m hongong.grading grade``, orchestrated by :mod:`~hongong.grading.classroom`),
data flows one way::

    collect ─► precheck ─► execute (sandbox) ─► answers as data ─► check ─► record ─► feedback ─► export ─► report

- collect: :mod:`~hongong.grading.collect_limits` (``nbgrader zip_collect`` unpacks within limits) and
  :mod:`~hongong.grading.collect` (attempt times, the roster, the precheck of each hand-in);
- execute: :mod:`~hongong.grading.execute` (nbgrader's ``Execute`` replaced; ahead of time on local threads or
  Dask: :mod:`~hongong.grading.workers`). It starts :mod:`~hongong.grading.executor` **inside the sandbox**, where
  the learner's kernel writes its answers as data (:mod:`hongong.exercise.answers`);
- the sandbox: :mod:`~hongong.grading.sandbox` (bubblewrap, a uid of its own), :mod:`~hongong.grading.cgroup`
  (memory, processes, CPU) and :mod:`~hongong.grading.seccomp`; it runs a command and knows nothing of notebooks;
- check: :mod:`~hongong.grading.checker`, the **trusted checker**, a fresh process in a sandbox of its own that
  loads the answers without running their code and judges them with ``checks/<assignment>.py``, written with
  :mod:`~hongong.grading.checks`;
- record: :mod:`~hongong.grading.inert` (learner content made inert) and :mod:`~hongong.grading.record` (verdicts
  into nbgrader's gradebook; the hints a submission used and the course's hint rule: :mod:`~hongong.grading.hints`),
  guarded by :mod:`~hongong.grading.gradebook`; one status per submission in :mod:`~hongong.grading.status`;
- feedback: :mod:`~hongong.grading.feedback` (the Korean template's items table: :mod:`~hongong.grading.feedback_items`);
  export: :mod:`~hongong.grading.export`; report: :mod:`~hongong.grading.report` (item statistics:
  :mod:`~hongong.grading.item_statistics`);
- formgrader in the instructor's JupyterLab: :mod:`~hongong.grading.formgrader_csp`.

Dependencies point one way: command line (``__main__``) → orchestration (``classroom``) → stages → sandbox.
"""

import sys

# Every grading process imports nbformat, nbformat imports jsonschema, and jsonschema imports rfc3987-syntax when it
# is installed (jupyter-events asks for jsonschema[format-nongpl]); that module compiles a Lark grammar at import:
# 2.5 s of each process (the command, each sandboxed executor), for the "iri" formats no notebook schema uses.
# Without it jsonschema leaves those formats unchecked (``make bench-startup`` measures the difference).
sys.modules.setdefault("rfc3987_syntax", None)
