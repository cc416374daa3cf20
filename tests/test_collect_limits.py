"""`nbgrader zip_collect` with hongong.grading.collect_limits.LimitedExtractor: hostile archives refused, honest ones as before.

One real ``nbgrader zip_collect`` run over a download folder holding honest archives next to hostile ones
(a nested-zip bomb, zip slip, links, too many files, a lying header, a pax-header bomb, too deep), with the
limits lowered on the command line so that the run writes little; and one run of nbgrader's own extractor
over the honest archives alone, to compare with. Each nbgrader command takes 5 s or more (its import): slow.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow

ASSIGNMENT = "ch07-1"
MAX_BYTES = 4_000_000
MAX_FILES = 50
NOTEBOOK = nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("q1 = 1010")])).encode()


def lms_name(student: str, file: str = f"{ASSIGNMENT}.ipynb") -> str:
    """A file name as the LMS's download writes it (see AttemptTimeCollector in nbgrader_config.py)."""
    return f"{ASSIGNMENT}_{student}_attempt_2026-12-01-10-00-00_{file}"


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def tar_bytes(members: dict[str, bytes], links: dict[str, str] | None = None, pax: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.pax_headers = pax or {}
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            archive.addfile(info)
    return buffer.getvalue()


def honest_archives() -> dict[str, bytes]:
    """What the LMS hands out: a zip of notebooks (one learner's own zip inside), a tar.gz, a loose notebook."""
    learners_zip = zip_bytes({"notes/readme.txt": b"my notes\n", lms_name("carol"): NOTEBOOK})
    lms = io.BytesIO()
    with zipfile.ZipFile(lms, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("more/", b"")  # a folder entry
        archive.writestr(lms_name("alice"), NOTEBOOK)
        archive.writestr(lms_name("bob"), NOTEBOOK.replace(b"1010", b"1011"))
        archive.writestr(lms_name("carol", "extra.zip"), learners_zip)
    return {
        "gradebook-download.zip": lms.getvalue(),
        "second-download.tar.gz": tar_bytes({lms_name("dave"): NOTEBOOK}),
        lms_name("erin"): NOTEBOOK,  # not an archive: copied
    }


def bomb() -> bytes:
    """Under 5 KB on disk, 64 MiB unpacked: a zip of 16 zips of 4 MiB of zeros each."""
    zeros = zip_bytes({"zeros.ipynb": bytes(4 * 2**20)})
    return zip_bytes({lms_name(learner("bomb.zip"), f"part{i}.zip"): zeros for i in range(16)})


def lying_zip(declared: int, real: bytes) -> bytes:
    """A zip whose one member's headers (local and central) declare ``declared`` bytes for ``real``."""
    data = bytearray(zip_bytes({lms_name(learner("lying.zip")): real}))
    local, central = data.find(b"PK\x03\x04"), data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, declared)
    struct.pack_into("<I", data, central + 24, declared)
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        assert archive.infolist()[0].file_size == declared
    return bytes(data)


def symlink_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(lms_name(learner("zip-symlink.zip")), NOTEBOOK)
        link = zipfile.ZipInfo(lms_name(learner("zip-symlink.zip"), "link.ipynb"))
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    return buffer.getvalue()


def learner(archive: str) -> str:
    """The learner whose notebook sits in the hostile ``archive``: it must not be collected either."""
    return "in" + archive.replace("-", "").replace(".", "")


def hostile_archives(course: Path) -> dict[str, bytes]:
    def good(archive):
        return {lms_name(learner(archive)): NOTEBOOK}

    return {
        "bomb.zip": bomb(),
        "slip-dotdot.zip": zip_bytes({**good("slip-dotdot.zip"), "../../escaped-dotdot.ipynb": NOTEBOOK}),
        "slip-absolute.zip": zip_bytes({**good("slip-absolute.zip"), str(course / "escaped-absolute.ipynb"): NOTEBOOK}),
        "zip-symlink.zip": symlink_zip(),
        "tar-symlink.tar.gz": tar_bytes(good("tar-symlink.tar.gz"), links={"passwd.ipynb": "/etc/passwd"}),
        "too-many.zip": zip_bytes({**good("too-many.zip"), **{f"junk/{i}.txt": b"x" for i in range(MAX_FILES)}}),
        "lying.zip": lying_zip(1000, bytes(2 * MAX_BYTES)),
        "too-deep.zip": zip_bytes({**good("too-deep.zip"),
                                   "a.zip": zip_bytes({"b.zip": zip_bytes({"c.txt": b"deep"})})}),
        # tarfile reads a pax header whole, whatever its size, before the member it belongs to is seen
        "pax-bomb.tar.gz": tar_bytes(good("pax-bomb.tar.gz"), pax={"comment": "x" * 2 * MAX_BYTES}),
    }


def new_course(folder: Path, archives: dict[str, bytes]) -> Path:
    """A course with our nbgrader config, a release of ASSIGNMENT (NOTEBOOK), ``archives`` downloaded from the LMS.

    No underscore in the path: nbgrader matches the collector's named_regexp against the whole path.
    """
    assert "_" not in str(folder)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    (folder / "exercises" / ASSIGNMENT).mkdir(parents=True)
    (folder / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_bytes(NOTEBOOK)
    downloads = folder / "downloaded" / ASSIGNMENT / "archive"
    downloads.mkdir(parents=True)
    for name, data in archives.items():
        (downloads / name).write_bytes(data)
    return folder


def zip_collect(course: Path, *options: str) -> str:
    """Run the real ``nbgrader zip_collect`` in ``course``; return its log, each line starting with its time."""
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(
        [str(bin_dir / "nbgrader"), "zip_collect", ASSIGNMENT, "--log-level=INFO",
         "--Application.log_format=%(created).3f %(levelname)s %(message)s", *options],
        cwd=course, env=env, capture_output=True, text=True, timeout=300)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    return log


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` with its bytes (None for a folder)."""
    return {str(p.relative_to(folder)): (None if p.is_dir() else p.read_bytes()) for p in sorted(folder.rglob("*"))}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """(course after LimitedExtractor on honest + hostile archives, its log, course after nbgrader's own on honest ones)."""
    honest = honest_archives()  # once: a zip records the time it was written
    ours = tmp_path_factory.mktemp("limited")
    new_course(ours, {**honest, **hostile_archives(ours)})
    log = zip_collect(ours, f"--LimitedExtractor.max_bytes={MAX_BYTES}", f"--LimitedExtractor.max_files={MAX_FILES}")
    theirs = new_course(tmp_path_factory.mktemp("plain"), honest)
    zip_collect(theirs, "--ZipCollectApp.extractor_plugin=nbgrader.plugins.ExtractorPlugin")
    return ours, log, theirs


def refusal(log: str, archive: str) -> str:
    """The one log line refusing ``archive``; it says why in Korean, then in English."""
    lines = [line for line in log.splitlines() if f"/archive/{archive}:" in line and "Refused archive" in line]
    assert len(lines) == 1, f"{archive}: {lines}\n{log}"
    line = lines[0]
    assert " ERROR 압축 파일을 풀지 않았습니다" in line and line.index("압축") < line.index("Refused"), line
    return line


def assert_nothing_left_of(course: Path, archive: str) -> None:
    """No file or folder of ``archive`` in extracted/ (nor a staging folder), its learner not collected."""
    extracted = course / "downloaded" / ASSIGNMENT / "extracted"
    left = [p for p in extracted.rglob("*") if p.name.startswith((archive.split(".")[0], "."))]
    assert left == [], left
    assert not (course / "submitted" / learner(archive)).exists()


def test_honest_archives_are_extracted_and_collected_exactly_as_by_nbgrader(runs):
    ours, log, theirs = runs
    assert "Using file extractor: LimitedExtractor" in log  # nbgrader_config.py sets it
    for folder in ("downloaded/ch07-1/extracted", "submitted"):
        assert tree(ours / folder) == tree(theirs / folder), folder
    submitted = tree(ours / "submitted")
    for student in ("alice", "bob", "dave", "erin"):
        assert submitted[f"{student}/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"] is not None, student
        assert submitted[f"{student}/{ASSIGNMENT}/timestamp.txt"] == b"2026-12-01 01:00:00"  # 10:00 KST
    assert "carol/ch07-1/extra.zip" not in submitted  # as nbgrader: only notebooks are collected


def test_nested_zip_bomb_is_refused_within_a_second_and_the_rest_collected(runs):
    ours, log, _ = runs
    assert (ours / "downloaded" / ASSIGNMENT / "archive" / "bomb.zip").stat().st_size < 5000
    assert 16 * 4 * 2**20 > 10 * MAX_BYTES  # what it unpacks to
    line = refusal(log, "bomb.zip")
    assert "LimitedExtractor.max_bytes = 4,000,000" in line, line
    started = next(float(l.split()[0]) for l in log.splitlines() if l.endswith("Extracting from: " + str(
        ours / "downloaded" / ASSIGNMENT / "archive" / "bomb.zip")))
    assert float(line.split()[0]) - started < 1.0, log
    assert_nothing_left_of(ours, "bomb.zip")
    assert (ours / "submitted" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes() == NOTEBOOK  # same run


@pytest.mark.parametrize("archive,member", [("slip-dotdot.zip", "../../escaped-dotdot.ipynb"),
                                            ("slip-absolute.zip", "escaped-absolute.ipynb")])
def test_member_outside_the_folder_is_refused(runs, archive, member):
    ours, log, _ = runs
    line = refusal(log, archive)
    assert member in line and "absolute path or '..'" in line, line
    assert_nothing_left_of(ours, archive)
    assert list(ours.parent.rglob(Path(member).name)) == []  # nowhere, in or out of the course


@pytest.mark.parametrize("archive", ["zip-symlink.zip", "tar-symlink.tar.gz"])
def test_symbolic_link_is_refused(runs, archive):
    ours, log, _ = runs
    line = refusal(log, archive)
    assert re.search(r"member '[^']*(link|passwd)\.ipynb' is a (symbolic link|link or a special file)", line), line
    assert_nothing_left_of(ours, archive)


def test_archive_with_too_many_files_is_refused(runs):
    ours, log, _ = runs
    line = refusal(log, "too-many.zip")
    assert f"holds {MAX_FILES + 1} or more entries" in line and f"LimitedExtractor.max_files = {MAX_FILES}" in line, line
    assert_nothing_left_of(ours, "too-many.zip")


def test_header_that_lies_is_stopped_while_extracting(runs):
    ours, log, _ = runs
    line = refusal(log, "lying.zip")
    assert "stopped while unpacking" in line and "its header declares 1,000 bytes" in line, line
    assert "LimitedExtractor.max_bytes = 4,000,000" in line, line
    assert_nothing_left_of(ours, "lying.zip")


def test_tar_whose_pax_header_is_larger_than_the_limits_is_refused(runs):
    ours, log, _ = runs
    assert (ours / "downloaded" / ASSIGNMENT / "archive" / "pax-bomb.tar.gz").stat().st_size < 20_000
    line = refusal(log, "pax-bomb.tar.gz")
    assert "its tar stream runs past" in line and "LimitedExtractor.max_bytes = 4,000,000" in line, line
    assert_nothing_left_of(ours, "pax-bomb.tar.gz")


def test_archive_nested_too_deep_is_refused(runs):
    ours, log, _ = runs
    line = refusal(log, "too-deep.zip")
    assert "nested archive 'a/b.zip' is at depth 3" in line and "LimitedExtractor.max_depth = 2" in line, line
    assert_nothing_left_of(ours, "too-deep.zip")


def test_a_file_inside_a_learners_upload_is_theirs_whatever_its_name_claims(tmp_path_factory):
    """mallory uploads an archive (the LMS names it for her) holding files named for alice with a later time, for bob
    with a time past the due date, and one with a time that is no time; and her own notebook under a plain name.
    alice and bob keep their own hand-ins, mallory's is collected at the LMS's time, the collection finishes."""
    later, blank = "2026-12-02-10-00-00", nbformat.writes(nbformat.v4.new_notebook()).encode()
    upload = zip_bytes({f"{ASSIGNMENT}_alice_attempt_{later}_{ASSIGNMENT}.ipynb": blank,
                        f"{ASSIGNMENT}_bob_attempt_2099-01-01-00-00-00_notes.ipynb": blank,
                        f"{ASSIGNMENT}_x_attempt_2026-99-99-99-99-99_{ASSIGNMENT}.ipynb": blank,
                        f"{ASSIGNMENT}.ipynb": NOTEBOOK.replace(b"1010", b"7")})
    download = io.BytesIO()
    with zipfile.ZipFile(download, "w") as archive:
        archive.writestr(lms_name("alice"), NOTEBOOK)
        archive.writestr(lms_name("bob"), NOTEBOOK)
        archive.writestr(lms_name("mallory", "homework.zip"), upload)
    course = new_course(tmp_path_factory.mktemp("impersonation"), {"gradebook-download.zip": download.getvalue()})
    log = zip_collect(course)
    submitted = tree(course / "submitted")
    assert submitted[f"alice/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"] == NOTEBOOK
    assert submitted[f"bob/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"] == NOTEBOOK and f"bob/{ASSIGNMENT}/notes.ipynb" not in submitted
    assert submitted[f"bob/{ASSIGNMENT}/timestamp.txt"] == b"2026-12-01 01:00:00"
    assert submitted[f"mallory/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"] == NOTEBOOK.replace(b"1010", b"7")
    assert submitted[f"mallory/{ASSIGNMENT}/timestamp.txt"] == b"2026-12-01 01:00:00"  # the LMS's time, not a claim
    assert sorted({path.split("/")[0] for path in submitted}) == ["alice", "bob", "mallory"]
    assert log.count("Refused: a file in mallory's upload is named for learner") == 3  # alice, bob, x


def test_a_time_that_is_no_time_skips_that_file_and_an_undecodable_name_is_reported_not_fatal(tmp_path):
    """Two names a learner could choose that used to stop the whole class: nbgrader's zip_collect failing on
    "2026-99-99-…", and a non-UTF-8 notebook name that the status file could not store."""
    from hongong.grading.collect import AttemptTimeCollector, precheck
    from hongong.grading.status import read_status, write_status
    from traitlets.config import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    collector = AttemptTimeCollector(config=config)
    base = "/course/downloaded/ch07-1/extracted/download/"
    assert collector.collect(base + f"{ASSIGNMENT}_x_attempt_2026-99-99-99-99-99_{ASSIGNMENT}.ipynb") is None
    assert collector.collect(base + lms_name("alice"))["timestamp"] == "2026-12-01T10:00:00+09:00"
    folder = tmp_path / "submitted" / "mallory" / ASSIGNMENT
    folder.mkdir(parents=True)
    (tmp_path / "exercises" / ASSIGNMENT).mkdir(parents=True)
    (tmp_path / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_bytes(NOTEBOOK)
    (folder / os.fsdecode(b"ch07-1\xff\x1b]0;x\x07.ipynb")).write_bytes(NOTEBOOK)
    entry = precheck(tmp_path, ASSIGNMENT, "mallory")
    assert entry["reason"] == "notebook-missing" and "ch07-1\\xff\\x1b]0;x\\x07.ipynb" in entry["message"]
    write_status(tmp_path, {ASSIGNMENT: {"mallory": entry}})
    assert read_status(tmp_path)[ASSIGNMENT]["mallory"] == entry
