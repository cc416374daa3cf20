"""nbgrader configuration: the repository root is the course directory.

solutions/<assignment>/<assignment>.ipynb  instructor source (solutions + visible tests)
checks/<assignment>.py                     hidden checks, decided by the trusted checker outside the kernel
exercises/<assignment>/<assignment>.ipynb  student release, made by `nbgrader generate_assignment`
submitted/, autograded/, feedback/, gradebook.db   nbgrader's working state (git-ignored)
"""

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "hongong-ch7"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"

# Per cell, with interruption: one endless loop loses that cell, not the whole class's grading.
# 120 s covers the slowest honest cell (training with callbacks, about 15 s here) many times over.
# (c.ExecutePreprocessor.timeout is ignored by nbgrader 0.9: it must be Execute.)
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True

# What a learner sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# 여기에 코드를 작성하세요\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "여기에 답을 쓰세요."

# --- autograde, feedback, export: the grading engine's stages, hongong/grading/ (execute, record, feedback, export) ---
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties, CheckCellMetadata, GetGrades, IgnorePattern, LimitOutput, SaveAutoGrades,
)
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402

from hongong.grading.collect import AttemptTimeCollector  # noqa: E402
from hongong.grading.execute import ExecuteInScratch  # noqa: E402
from hongong.grading.export import GradesExport  # noqa: E402
from hongong.grading.feedback import HideHiddenTests, feedback_exporter  # noqa: E402
from hongong.grading.inert import MakeInert  # noqa: E402
from hongong.grading.record import RecordVerdicts  # noqa: E402

# nbgrader's list with Execute replaced: the submission runs in a child process inside a bubblewrap
# sandbox (hongong/grading/sandbox.py: no course directory, no network, a uid of its own, seccomp) with limits; breaching one
# fails that submission with its own status (timeout, memory, processes, output-too-large).
# Then the trusted checker (hongong/grading/checker.py, in a sandbox of its own) judges the answers as data with
# checks/<assignment>.py, and RecordVerdicts makes its verdicts the scores of the autograded cells:
# what the test cells did in the learner's kernel only flags "kernel pass, checker fail".
# MakeInert (hongong/grading/inert.py) right after the execution: no script, event handler, javascript: URL, iframe or
# form in any output or markdown cell reaches autograded/, formgrader or the feedback (nh3 allowlist), and no cell
# metadata but nbgrader's (tags become CSS classes; transient.remove_source drops a cell's code).
c.Autograde.autograde_preprocessors = [
    ExecuteInScratch, MakeInert, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades, RecordVerdicts,
    AssignLatePenalties, CheckCellMetadata,
]
c.ExecuteInScratch.notebook_timeout = 900             # seconds for a whole notebook (honest ones take 20-40 s)
c.ExecuteInScratch.max_cell_output_bytes = 1_000_000  # text, images and HTML together; a figure is ~50 kB
c.ExecuteInScratch.max_notebook_output_bytes = 5_000_000
c.ExecuteInScratch.memory_bytes = 4 * 2**30           # the solutions peak at 1.1-1.9 GB (kernel + executor)
c.ExecuteInScratch.max_processes = 1024               # processes + threads; TensorFlow starts a few dozen
c.ExecuteInScratch.cpus = 1.0                         # CPU time per submission, in cores (cgroup quota)
c.ExecuteInScratch.sandbox = True                     # `make grade NO_SANDBOX=1` turns it off, loudly
c.ExecuteInScratch.checks_directory = "checks"        # checks/<assignment>.py: one check per autograded cell
c.ExecuteInScratch.checker_alongside = "auto"         # checker's sandbox started with the notebook's when a core is free
c.ExecuteInScratch.checker_timeout = 300              # the checker takes 5-10 s (TensorFlow's import, two models)
c.ExecuteInScratch.max_answer_bytes = 50 * 2**20      # answers handed to the checker; a model file is ~1 MB

# How many submissions execute at once, and where (see README, 채점 규모 키우기):
c.ClassGrading.jobs = 0             # 0: one per core
c.ClassGrading.dask = False         # True: on a Dask LocalCluster of `jobs` workers
c.ClassGrading.scheduler = ""       # "tcp://HOST:8786": on an existing Dask cluster

# Feedback shows no hidden test: not in the cells, not in tracebacks (nbgrader#917, #1363). Learner content is
# made inert again (a notebook autograded some other way), and the page forbids every script (CSP <meta>).
# The page is our template (hongong/grading/templates/feedback, nbgrader's feedback template in Korean): the total
# and a table of items (title, points, verdict 통과/틀림/시도하지 않음/채점 불가/손 채점, the book section to re-read) at
# the top, and per item the checker's message, the concept it tests and the link (ItemsTable, from items.toml).
# It keeps nbgrader's template name, "feedback", because nbgrader's API (formgrader's button, `make grade`) always
# asks for that name: ours is found first, and nbgrader's own is not on the list.
from hongong.grading.feedback_items import TEMPLATES, ItemsTable  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, ItemsTable, HideHiddenTests, MakeInert, CSSHTMLHeaderPreprocessor]
c.GenerateFeedback.exporter_class = feedback_exporter()
c.FeedbackWithoutScripts.extra_template_basedirs = [str(TEMPLATES)]  # the feedback exporter only: formgrader keeps its own
c.ItemsTable.book_url = ""  # where learners read the book, e.g. "https://course.example.ac.kr/book"; "": _build/html here

# Hints (hint("q3") in the exercise): how many a learner used per item is read from the submitted notebook
# (ReadHintRecord, before nbgrader clears its outputs) and exported. Whether they cost points is this setting:
# points a passed item loses per hint used on it (0: free). `make release` writes the rule into the exercise.
from hongong.grading.hints import ReadHintRecord, StateHintRule  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    ClearHiddenTests, ClearMarkScheme, ClearOutput, ClearSolutions,
    ComputeChecksums, DeduplicateIds, IncludeHeaderFooter, InstantiateTests, LockCells, OverwriteCells,
    OverwriteKernelspec, SaveCells,
)

c.HintRule.points_per_hint = 0.0
c.Autograde.sanitize_preprocessors = [
    ReadHintRecord, ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata,
]
c.GenerateAssignment.preprocessors = [  # nbgrader's list, the hint rule written in before any checksum is taken
    IncludeHeaderFooter, StateHintRule, InstantiateTests, LockCells, ClearSolutions, ClearOutput, CheckCellMetadata,
    ComputeChecksums, SaveCells, ClearHiddenTests, ClearMarkScheme, ComputeChecksums, CheckCellMetadata,
]

# `nbgrader export` writes grades/<assignment>.csv and grades/grades.csv with a status per learner:
# graded, late, failed (with the reason) or missing: never a 0 that was not earned.
c.ExportApp.plugin_class = GradesExport

# `nbgrader zip_collect ASSIGNMENT` reads downloaded/<assignment>/archive/*.zip. File names as Blackboard's
# "download assignment" writes them: <assignment>_<student>_attempt_<YYYY-MM-DD-HH-MM-SS>_<file>.ipynb
# (the attempt time becomes the submission's timestamp, so late hand-ins are flagged).
# Due dates go in as ISO 8601 with the offset: nbgrader db assignment add ch07-1 --duedate=2026-12-07T23:59:59+09:00
c.ZipCollectApp.collector_plugin = AttemptTimeCollector  # reads the attempt time correctly (see its docstring)
c.AttemptTimeCollector.utc_offset = "+09:00"             # the LMS's clock (KST)
# nbgrader matches the pattern against the extracted file's whole path: the folders before the last '/' are
# skipped, so an underscore in the course's path or the archive's name does not hide every submission.
c.AttemptTimeCollector.named_regexp = (
    r"^(?:.*/)?[^_/]+_(?P<student_id>[^_/]+)_attempt_(?P<timestamp>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})"
    r"_(?P<file_id>[^/]+)$"
)

# Each archive in downloaded/<assignment>/archive/ is unpacked within limits, the archives inside it
# included (hongong/grading/collect_limits.py): one over a limit, damaged, or holding a '..'/absolute path or a
# link is refused with one log line and nothing of it extracted; the other archives are collected.
from hongong.grading.collect_limits import LimitedExtractor  # noqa: E402
c.ZipCollectApp.extractor_plugin = LimitedExtractor
c.LimitedExtractor.max_bytes = 500 * 10**6  # bytes written, counted as they are written (headers can lie)
c.LimitedExtractor.max_files = 10_000       # files and folders
c.LimitedExtractor.max_depth = 2            # the downloaded archive and the archives inside it, no deeper
