"""nbgrader configuration: the repository root is the course directory.

solutions/<assignment>/<assignment>.ipynb  instructor source (solutions + hidden tests)
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
