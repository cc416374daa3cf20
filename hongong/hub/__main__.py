"""The class hub's command line (as root; ``make hub`` runs ``prepare`` and ``start``):

    python -m hongong.hub users ROSTER.csv [--instructor NAME]   learners and the instructor as system users
    python -m hongong.hub prepare                                  folders, users' configuration, permissions, proxy
    python -m hongong.hub release ASSIGNMENT                       release to the exchange (nbgrader release_assignment)
    python -m hongong.hub start                                    prepare, then run JupyterHub (Ctrl+C stops it)
    python -m hongong.hub start-background                         prepare, then JupyterHub in the background
    python -m hongong.hub status | stop                            the hub started in the background

The port: ``HONGONG_HUB_PORT`` (default 8000; ``make hub-start HUB_PORT=…``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hongong.hub.place import COURSE_ID, REPOSITORY, course_dir, exchange_dir, hub_dir, learner_paths, state_dir
from hongong.hub.reach import (WRITTEN_LATER, ExchangeTaken, claim_course_exchange, close_around, close_course,
                               close_state, open_path_to)

PROXY_VERSION = "5.3.0"  # the Makefile's PROXY_VERSION


def proxy_dir() -> Path:
    return REPOSITORY / ".hub" / "proxy"


def proxy_command() -> Path:
    return proxy_dir() / "node_modules" / ".bin" / "configurable-http-proxy"


def install_proxy() -> None:
    """configurable-http-proxy from the npm registry into .hub/proxy (once)."""
    if proxy_command().exists():
        return
    proxy_dir().mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "install", "--prefix", str(proxy_dir()), "--no-audit", "--no-fund", "--loglevel=error",
                    f"configurable-http-proxy@{PROXY_VERSION}"], check=True)


def write_users_configuration(course: Path) -> None:
    exchange = exchange_dir()
    common = (f"c = get_config()  # noqa: F821\nc.CourseDirectory.course_id = {COURSE_ID!r}\n"
              f"c.Exchange.root = {str(exchange)!r}\nc.Exchange.path_includes_course = False\n")
    learner = hub_dir() / "learner-config"
    learner.mkdir(parents=True, exist_ok=True)
    (learner / "nbgrader_config.py").write_text("# written by python -m hongong.hub prepare: the course's exchange\n" + common)
    instructor = hub_dir() / "instructor-config"
    instructor.mkdir(parents=True, exist_ok=True)
    (instructor / "nbgrader_config.py").write_text(
        "# written by python -m hongong.hub prepare: formgrader on the course directory\n" + common
        + f"c.CourseDirectory.root = {str(course)!r}\n")
    # the instructor's Jupyter server: the repository's own (formgrader's Content-Security-Policy), and nothing else of
    # the repository on the configuration path (its nbgrader_config.py is the course's, read from the server's root)
    (instructor / "jupyter_server_config.py").write_text((REPOSITORY / "jupyter_server_config.py").read_text())
    for folder in (learner, instructor):
        os.chmod(folder, 0o755)
        for written in folder.iterdir():
            os.chmod(written, 0o644)
    # nbgrader's Assignment List (its server extension) reads the exchange's settings from the server's root folder
    # (the home), not from JUPYTER_CONFIG_PATH: each learner's home gets the same file, owned by root, read-only.
    import pwd

    from hongong.hub.users import learners

    for name in learners():
        home = Path(pwd.getpwnam(name).pw_dir)
        if home.is_dir():
            target = home / "nbgrader_config.py"
            target.unlink(missing_ok=True)
            target.write_text((learner / "nbgrader_config.py").read_text())
            os.chmod(target, 0o644)


def prepare() -> Path:
    course = course_dir()
    hub_dir().mkdir(parents=True, exist_ok=True)
    os.chmod(hub_dir(), 0o755)
    state_dir().mkdir(parents=True, exist_ok=True)
    os.chmod(state_dir(), 0o700)
    exchange_dir().mkdir(parents=True, exist_ok=True)
    # nbgrader's mode for the exchange's root: every user may write in it (each exchange command, even a learner's
    # list, fails on a root it cannot write: "Unwritable directory"); sticky, so nobody removes another's entry
    os.chmod(exchange_dir(), 0o1777)
    claim_course_exchange(exchange_dir() / COURSE_ID)  # before any learner can make it
    write_users_configuration(course)
    for name in WRITTEN_LATER:
        (course / name).mkdir(exist_ok=True)  # made now, closed below: whatever is written in them later stays closed
    needed = learner_paths()
    opened = [p for path in needed for p in open_path_to(path)]
    # the repository, the course and the hub's folder: closed but for the way to what a learner's server needs
    closed = [p for folder in dict.fromkeys([REPOSITORY, course, hub_dir()]) for p in close_around(folder, needed)]
    closed += close_course(course)
    close_state(state_dir())
    if opened:
        print("사용자 서버가 지나갈 수 있게 x 권한을 더한 폴더: " + ", ".join(map(str, opened)))
    if closed:
        print(f"학습자가 읽을 수 없게 권한을 없앤 파일과 폴더: {len(closed)}개")
    install_proxy()
    return course


def release(assignment: str) -> int:
    """nbgrader's release_assignment to the hub's exchange; with hints unlocked by attempts, the released items.toml
    keeps only each item's first hint (the grading service gives the others)."""
    from traitlets.config.loader import PyFileConfigLoader

    from hongong.exercise.items import ITEMS_FILE, withhold_hints
    from hongong.grading.attempts import CourseRules

    course = course_dir()
    done = subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "release_assignment", assignment, "--force",
                           f"--Exchange.root={exchange_dir()}", f"--CourseDirectory.course_id={COURSE_ID}"],
                          cwd=course, env=dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}"))
    rules = CourseRules(config=PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config())
    released = exchange_dir() / COURSE_ID / "outbound" / assignment / ITEMS_FILE
    if done.returncode == 0 and rules.hints_unlock_after and released.is_file():
        released.write_text(withhold_hints(released.read_text(encoding="utf-8")), encoding="utf-8")
        print(f"힌트: 문항마다 첫 힌트만 내보냈습니다. 나머지는 채점을 {rules.hints_unlock_after}번 받은 뒤에 열립니다.")
    return done.returncode


def main(argv: list[str]) -> int:
    command, *args = argv or ["help"]
    if os.geteuid() != 0 and command in ("users", "prepare", "start", "start-background", "stop"):
        print("root로 실행하세요: 시스템 사용자를 만들고 각 사용자의 서버를 그 사용자로 띄웁니다.", file=sys.stderr)
        return 2
    if command == "users" and args:
        from hongong.hub.users import RosterError, create_accounts

        instructor = args[args.index("--instructor") + 1] if "--instructor" in args else "instructor"
        try:
            done = create_accounts(Path(args[0]), instructor, course_dir())
        except RosterError as error:
            print(f"계정을 만들지 않았습니다: {error}", file=sys.stderr)
            return 2
        roster = Path(args[0])
        if roster.stat().st_mode & 0o007:  # every classmate's id, name and e-mail
            os.chmod(roster, roster.stat().st_mode & 0o7770)
            print(f"{roster}: 다른 사용자(학습자)가 읽을 수 없게 권한을 없앴습니다.")
        if done["existing"]:
            print("이미 있던 계정을 그대로 씁니다(비밀번호도 그대로): " + ", ".join(done["existing"]))
        print(f"새 계정 {len(done['created'])}개, 이미 있던 계정 {len(done['existing'])}개. "
              f"초기 비밀번호: {state_dir() / 'passwords.csv'} (root만 읽을 수 있음)")
        return 0
    if command in ("prepare", "start", "start-background") and not args:
        try:
            prepare()
        except ExchangeTaken as error:
            print(f"허브를 {'준비' if command == 'prepare' else '시작'}하지 않았습니다: {error}", file=sys.stderr)
            return 2
    if command == "prepare" and not args:
        return 0
    if command == "release" and len(args) == 1:
        return release(args[0])
    hub_command = [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(Path(__file__).with_name("jupyterhub_config.py"))]
    if command == "start" and not args:
        os.chdir(state_dir())
        os.execv(hub_command[0], hub_command)
    if command in ("start-background", "stop", "status") and not args:
        from hongong.hub import background

        if command == "start-background":
            return background.start(hub_command, int(os.environ.get("HONGONG_HUB_PORT", "8000")))
        return background.stop() if command == "stop" else background.status()
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main(sys.argv[1:]))
