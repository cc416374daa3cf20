"""The instructor's command line: grade a class, export the grades again, draw the report again.

    python -m hongong.grading grade [ASSIGNMENT ...] [--student ID ...] [--jobs N] [--dask]
                                    [--scheduler tcp://HOST:PORT] [--no-sandbox] [--Class.trait=value ...]
                                                          autograde + feedback + export + report
    python -m hongong.grading grade-when-told             what grading needs imported, then one line on stdin: the
                                                          arguments of grade as a JSON list (the hub's service keeps
                                                          one waiting, so a submission does not wait for the imports)
    python -m hongong.grading export                      grades/*.csv again (= nbgrader export)
    python -m hongong.grading report                      grades/report.png and report.html again
    python -m hongong.grading summaries                   export and report together, holding the course's lock

Run in the course directory (the repository root); ``make grade`` does it.
"""

import sys
from pathlib import Path

from hongong.grading.checker import CheckBroken
from hongong.grading.classroom import UnknownStudent, grade
from hongong.grading.export import export
from hongong.grading.report import report
from hongong.grading.sandbox import SandboxUnavailable


def main(argv: list[str]) -> int:
    import argparse

    course = Path.cwd()
    command, *args = argv or ["help"]
    if command == "grade-when-told":
        import importlib
        import json

        for module in ("nbconvert.exporters", "nbgrader.api", "nbgrader.converters"):  # imported later by grade
            importlib.import_module(module)
        line = sys.stdin.readline()
        if not line.strip():  # the service stopped without a submission for it
            return 0
        told = json.loads(line)
        if not isinstance(told, list) or not all(isinstance(argument, str) for argument in told):
            print("grade-when-told: a JSON list of strings was expected", file=sys.stderr)
            return 2
        command, *args = ["grade", *told]
    if command == "grade":
        parser = argparse.ArgumentParser(prog="python -m hongong.grading grade", add_help=False)
        parser.add_argument("assignments", nargs="*")
        parser.add_argument("--student", action="append", default=[])  # only these learners (again), the rest as they are
        parser.add_argument("--jobs", type=int)
        parser.add_argument("--dask", action="store_true")
        parser.add_argument("--scheduler")
        parser.add_argument("--no-sandbox", action="store_true")
        known, options = parser.parse_known_args(args)
        options += [f"--ClassGrading.jobs={known.jobs}"] if known.jobs else []
        options += ["--ClassGrading.dask=True"] if known.dask else []
        options += [f"--ClassGrading.scheduler={known.scheduler}"] if known.scheduler else []
        options += ["--ExecuteInScratch.sandbox=False"] if known.no_sandbox else []
        assignments = known.assignments or sorted(p.name for p in (course / "exercises").iterdir() if p.is_dir())
        try:
            status = grade(course, assignments, options, only=known.student)  # locks the course as it records
        except SandboxUnavailable as error:  # before anything ran, or on a Dask worker mid-run
            print(f"채점을 멈췄습니다: {error}\n샌드박스 없이는 제출물을 실행하지 않습니다. 이번 실행에서는 멈추기 전에 "
                  "기록한 제출까지만 성적부에 반영되었습니다.", file=sys.stderr)
            return 3
        except UnknownStudent as error:
            print(f"채점하지 않았습니다: {error}", file=sys.stderr)
            return 2
        except CheckBroken as error:
            print(f"채점을 멈췄습니다. 채점 기준(checks/)에 강사가 고쳐야 할 오류가 있습니다: {error}\n"
                  "이 제출과 아직 기록하지 않은 제출은 성적부와 상태가 채점 전 그대로입니다. checks/를 고친 뒤 같은 명령으로 "
                  "다시 채점하세요.", file=sys.stderr)
            return 4
        failed = [(a, s) for a, entries in status.items() if a in assignments for s, e in entries.items()
                  if e["status"] == "failed" and (not known.student or s in known.student)]
        print(f"끝: {course / 'grades'} (grades.csv, 과제별 CSV, report.html). 채점 실패 {len(failed)}건"
              + "".join(f"\n  {a} {s}: {status[a][s]['message']}" for a, s in failed))
        return 0
    if command == "export":
        export(course)
        return 0
    if command == "summaries":  # the hub's service, once its queue is quiet: export and report, as grade ends
        from hongong.grading.classroom import course_lock

        with course_lock(course):
            export(course)
            report(course)
        return 0
    if command == "report":
        print(report(course))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main(sys.argv[1:]))
