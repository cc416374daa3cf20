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
