"""A roster that would make a system account a learner or the hub's admin is refused before anything is made
(hongong/hub/users.py), quick: no account is created by these tests."""

import pwd

import pytest

from hongong.hub.users import RosterError, create_accounts


def roster(tmp_path, *ids):
    path = tmp_path / "roster.csv"
    path.write_text("student_id\n" + "".join(f"{name}\n" for name in ids))
    return path


@pytest.mark.parametrize("instructor", ["root", "daemon", "www-data"])
def test_a_reserved_name_or_a_system_account_cannot_be_the_instructor(tmp_path, instructor):
    with pytest.raises(RosterError, match="강사 계정 이름으로 쓸 수 없습니다"):
        create_accounts(roster(tmp_path, "hgu-ana"), instructor, tmp_path)
    with pytest.raises(KeyError):
        pwd.getpwnam("hgu-ana")  # refused before any account was made


def test_a_roster_id_that_is_a_system_account_is_refused(tmp_path):
    assert pwd.getpwnam("www-data").pw_uid < 1000
    with pytest.raises(RosterError, match="이미 있는 시스템 계정과 이름이 같은 student_id: www-data"):
        create_accounts(roster(tmp_path, "hgu-ana", "www-data"), "hgu-teacher", tmp_path)
    with pytest.raises(KeyError):
        pwd.getpwnam("hgu-ana")
