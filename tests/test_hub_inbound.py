"""What the grading service takes from a submission folder a learner wrote (hongong/hub/inbound.py), quick: a FIFO, a
link or another user's file is refused at once and the rest copied; the time is the latest change of what was copied,
also when a file is written into after it was made; the secret is read only from the service's copy, in nbgrader's
format. The same through the real hub: tests/test_hub_hostile.py."""

import os
import time

import pytest

from hongong.hub.inbound import copy_regular_files, read_secret

SECRET = "0123456789abcdef" * 8  # nbgrader's: secrets.token_hex(64)


def folder_with(tmp_path, **files):
    folder = tmp_path / "inbound" / "ana+ch07-1+2026-12-04 10:00:00.000000 UTC+abcdefghijkl"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_a_fifo_a_link_and_another_users_file_are_refused_at_once_and_the_rest_is_copied(tmp_path):
    folder = folder_with(tmp_path, **{"ch07-1.ipynb": "{}"})
    os.mkfifo(folder / "submission_secret.txt")  # whoever opens it to read waits for a writer
    (folder / "shadow").symlink_to("/etc/shadow")
    (folder / "theirs.txt").write_text("another user's")
    if os.geteuid() == 0:
        os.chown(folder / "theirs.txt", 54321, 54321)
    started = time.monotonic()
    copied = copy_regular_files(folder, tmp_path / "copy", owner=os.getuid())
    assert time.monotonic() - started < 5
    assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == ["ch07-1.ipynb"]
    refused = {problem.split(":")[0] for problem in copied.problems}
    assert refused == {"submission_secret.txt", "shadow"} | ({"theirs.txt"} if os.geteuid() == 0 else set())


def test_the_time_is_the_latest_change_of_what_was_copied_even_a_file_written_into_later(tmp_path):
    folder = folder_with(tmp_path, **{"ch07-1.ipynb": "{}", "submission_secret.txt": SECRET})
    made = os.stat(folder).st_ctime
    time.sleep(1.1)
    with open(folder / "ch07-1.ipynb", "r+") as notebook:  # into the file that is there: the folder's time stays
        notebook.write('{"cells": []}')
    assert os.stat(folder).st_ctime == made
    copied = copy_regular_files(folder, tmp_path / "copy", owner=os.getuid())
    written = os.stat(folder / "ch07-1.ipynb").st_ctime
    assert abs(copied.changed.timestamp() - written) < 1e-5 and written >= made + 1


def test_the_secret_is_read_from_a_copy_and_must_be_nbgraders(tmp_path):
    good = folder_with(tmp_path, **{"submission_secret.txt": SECRET + "\n"})
    assert read_secret(good) == SECRET
    (good / "submission_secret.txt").write_text("../../etc/passwd")
    with pytest.raises(ValueError):
        read_secret(good)
    (good / "submission_secret.txt").unlink()
    os.mkfifo(good / "submission_secret.txt")
    with pytest.raises(OSError):
        read_secret(good)


def test_a_folder_name_with_a_newline_and_a_terminal_escape_is_one_inert_line_in_the_services_log(tmp_path, capsys):
    from hongong.hub.inbound import Submission
    from hongong.hub.service import log

    folder = tmp_path / "ana+ch07-1+x\n[grader 00:00:00] hgt-ben ch07-1: 채점 끝 0+\x1b[2Jy"
    folder.mkdir()
    log(f"{Submission(folder).shown}: 받지 않음")
    said = capsys.readouterr().out
    assert said.count("\n") == 1 and "\x1b" not in said and "\\x0a[grader" in said and "\\x1b[2J" in said


def test_what_was_not_taken_is_listed_briefly_and_a_folder_of_thousands_of_entries_is_not_read(tmp_path):
    from hongong.hub.inbound import MAX_ENTRIES, MAX_PROBLEMS

    folder = folder_with(tmp_path / "links", **{"ch07-1.ipynb": "{}"})
    for k in range(MAX_PROBLEMS + 30):
        (folder / f"link{k:03d}-{'x' * 200}").symlink_to("/etc/passwd")  # long names, as a record-filler would write
    copied = copy_regular_files(folder, tmp_path / "copy", owner=os.getuid())
    assert [p.name for p in (tmp_path / "copy").iterdir()] == ["ch07-1.ipynb"]
    assert len(copied.problems) == MAX_PROBLEMS + 1 and copied.problems[-1] == "그 밖에 30개 항목도 받지 않았습니다"
    assert max(len(problem) for problem in copied.problems) < 150  # a name is cut, not copied whole into the record

    crowded = folder_with(tmp_path / "crowded", **{"ch07-1.ipynb": "{}"})
    for k in range(MAX_ENTRIES):
        (crowded / f"link{k:04d}").symlink_to("/etc/passwd")
    copied = copy_regular_files(crowded, tmp_path / "copy2", owner=os.getuid())
    assert copied.problems == [f"폴더에 항목이 {MAX_ENTRIES}개보다 많아 아무것도 받지 않았습니다"]
    assert list((tmp_path / "copy2").iterdir()) == []


def test_the_time_is_the_services_clock_and_the_change_time_only_for_a_folder_made_while_it_was_not_running():
    from datetime import datetime, timedelta, timezone
    from types import SimpleNamespace

    from hongong.hub.intake import submission_time

    started = datetime.now(timezone.utc) - timedelta(minutes=5)
    grader = SimpleNamespace(started=started)
    before = started - timedelta(hours=1)  # made while the service was stopped: its downtime makes nobody late
    assert submission_time(grader, before) == before
    while_running = started + timedelta(minutes=1)  # a change time the learner can keep still (a shared mapping)
    assert submission_time(grader, while_running) > datetime.now(timezone.utc) - timedelta(seconds=5)
