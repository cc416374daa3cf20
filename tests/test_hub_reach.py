"""File permissions that keep a hub's learners out of the course (hongong/hub/reach.py), on a folder of the test's own
(quick; the whole hub is tests/test_hub_setup.py). A learner is "others" to every file here."""

import os
import stat

import pytest

from hongong.hub.reach import close_around, close_state


def others(path) -> int:
    return stat.S_IMODE(path.lstat().st_mode) & 0o007


def test_a_folder_on_the_way_is_a_gate_and_every_other_entry_is_closed(tmp_path):
    repository = tmp_path / "repository"
    for name in ("venv/bin", ".git/objects", "solutions", "tests"):
        (repository / name).mkdir(parents=True)
    (repository / "roster.csv").write_text("student_id\nana\n")
    for path in [repository, *repository.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    changed = close_around(repository, [repository / "venv" / "bin", tmp_path / "elsewhere"])
    assert others(repository) == stat.S_IXOTH  # traverse, no listing
    assert others(repository / "venv") == 0o005 and others(repository / "venv" / "bin") == 0o005  # the way stays
    assert {p.name for p in changed} == {"repository", ".git", "solutions", "tests", "roster.csv"}
    assert all(others(repository / name) == 0 for name in (".git", "solutions", "tests", "roster.csv"))
    assert others(repository / ".git" / "objects") == 0o005  # below a closed entry nothing needs changing


def test_a_folder_with_nothing_a_learner_needs_is_closed_whole(tmp_path):
    course = tmp_path / "course"
    (course / "submitted").mkdir(parents=True)
    os.chmod(course, 0o755)
    assert close_around(course, [tmp_path / "venv"]) == [course.resolve()]
    assert others(course) == 0 and others(course / "submitted") == 0o005


def test_the_hubs_state_is_roots_alone(tmp_path):
    state = tmp_path / "state"
    state.mkdir(mode=0o775)
    (state / "passwords.csv").write_text("user,password\n")
    os.chmod(state / "passwords.csv", 0o664)
    close_state(state)
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE((state / "passwords.csv").stat().st_mode) == 0o600
    assert (state / "passwords.csv").stat().st_gid == 0 or os.geteuid() != 0


@pytest.mark.skipif(os.geteuid() != 0, reason="owners of other accounts (root)")
def test_the_course_exchange_is_made_before_learners_and_one_a_learner_made_first_stops_the_hub(tmp_path):
    from hongong.hub.reach import ExchangeTaken, claim_course_exchange

    course = tmp_path / "fresh" / "hongong-ch7"
    course.parent.mkdir()
    claim_course_exchange(course)
    modes = {p.name: (stat.S_IMODE(p.stat().st_mode), p.stat().st_uid) for p in [course, *course.iterdir()]}
    assert modes == {"hongong-ch7": (0o755, 0), "outbound": (0o755, 0), "inbound": (0o3733, 0), "feedback": (0o711, 0)}

    released = tmp_path / "released" / "hongong-ch7"  # nbgrader's release made it: inbound/ gets the sticky bit
    (released / "inbound").mkdir(parents=True)
    os.chmod(released / "inbound", 0o2733)
    claim_course_exchange(released)
    assert stat.S_IMODE((released / "inbound").stat().st_mode) == 0o3733

    for how in ("folder", "link"):
        taken = tmp_path / how / "hongong-ch7"
        taken.parent.mkdir()
        if how == "folder":
            taken.mkdir()
            os.chown(taken, 54321, 54321)  # a learner's mkdir in the exchange's root (1777)
        else:
            taken.symlink_to(tmp_path)
        with pytest.raises(ExchangeTaken, match="root나 강사가 아닌 계정"):
            claim_course_exchange(taken)
