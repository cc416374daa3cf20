"""The sandbox a submission executes in (hongong/grading/sandbox.py), attacked cell by cell as a learner could.

Each test hands `execute_and_check` a small notebook (no TensorFlow: seconds each) and checks what came back:
the status of a breached limit, or the attempt's own output showing that it found nothing. The whole
class, graded through nbgrader with these attempts among honest learners, is in
tests/test_instructor_workflow.py.
"""

import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import threading
import time

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from conftest import ROOT
from hongong.grading import sandbox
from hongong.grading.execute import execute_and_check

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not sandbox.shutil.which("bwrap"),
                                reason="the sandbox needs root and bwrap (make setup installs it)")

OPTIONS = {"timeout": 20, "interrupt_on_timeout": True, "notebook_timeout": 90, "max_cell_output_bytes": 1_000_000,
           "max_notebook_output_bytes": 5_000_000, "sandbox": True, "memory_bytes": 1 * 2**30,
           "max_processes": 128, "tmp_bytes": 64 * 2**20, "max_answer_bytes": 2**20, "checker_timeout": 60}


KERNELSPEC = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}


def run(*cells, **options):
    """Cells (code as text, or nbformat cells) through `execute_and_check`; with each cell's outputs as text when ok."""
    notebook = new_notebook(cells=[new_code_cell(c) if isinstance(c, str) else c for c in cells], metadata=KERNELSPEC)
    answer = execute_and_check(nbformat.writes(notebook), OPTIONS | options)
    if answer["status"] == "ok":
        executed = nbformat.reads(answer["notebook"], as_version=4)
        answer["outputs"] = [
            "".join(o.get("text", "") or f"{o.get('ename', '')}: {o.get('evalue', '')}" or json.dumps(o.get("data", {}))
                    for o in cell.get("outputs", [])) for cell in executed.cells]
    return answer


def sandboxed_processes():
    return [p for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real in sandbox.SANDBOX_UIDS]


def test_it_sees_no_course_directory_no_home_and_no_other_submission(tmp_path):
    other = tmp_path / "submitted" / "someone" / "ch07-1"
    other.mkdir(parents=True)
    (other / "ch07-1.ipynb").write_text("someone else's work")
    answer = run(
        "import os\nprint(os.getuid(), os.getcwd(), sorted(n for n in os.listdir('.') if not n.startswith('.')))",
        f"print(os.path.exists({str(ROOT / 'solutions')!r}), os.path.exists({str(ROOT / 'nbgrader_config.py')!r}))",
        f"print(os.path.exists({str(other)!r}), os.path.exists('/tmp/' + {tmp_path.relative_to('/tmp').parts[0]!r}))",
        "print(sorted(os.listdir('/root')))",
        f"print(sorted(os.listdir({str(ROOT)!r})))",
    )
    assert answer["status"] == "ok", answer
    uid_cwd, course, other_seen, home, listing = answer["outputs"]
    uid, cwd_listing = uid_cwd.split(" ", 1)
    assert int(uid) in sandbox.SANDBOX_UIDS, "a uid of the sandboxes' pool"
    assert cwd_listing.startswith("/home/learner []"), "the notebook itself is never written where the kernel can read it"
    assert course.strip() == "False False"
    assert other_seen.strip() == "False False"
    assert home.strip() == "['.pyenv']", "the instructor's home holds only the Python installation, read-only"
    assert listing.strip() == str(sorted([".venv", "hongong"])), "only the environment and the package"


def test_it_cannot_write_the_gradebook_or_anything_outside_its_home(tmp_path):
    gradebook = tmp_path / "gradebook.db"
    gradebook.write_bytes(b"the real gradebook")
    os.chmod(tmp_path, 0o777)  # even a folder everybody may write is out of reach
    answer = run(
        f"open({str(gradebook)!r}, 'wb').write(b'zeroed')",
        f"open({str(ROOT / 'hongong' / 'planted.py')!r}, 'w').write('x = 1')",
        "import sys\nopen(sys.executable, 'ab')",
        "open('mine.txt', 'w').write('a file in my own home is fine')\nprint(open('mine.txt').read())",
    )
    assert answer["status"] == "ok", answer
    assert answer["outputs"][0].startswith("FileNotFoundError")
    assert answer["outputs"][1].startswith(("OSError", "PermissionError")), answer["outputs"][1]
    assert answer["outputs"][2].startswith(("OSError", "PermissionError")), answer["outputs"][2]
    assert answer["outputs"][3].strip() == "a file in my own home is fine"
    assert gradebook.read_bytes() == b"the real gradebook"
    assert not (ROOT / "hongong" / "planted.py").exists()


def test_it_cannot_reach_a_server_on_the_hosts_loopback():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    port, accepted = server.getsockname()[1], []

    def accept():
        try:
            accepted.append(server.accept())
        except OSError:
            pass

    listener = threading.Thread(target=accept)
    listener.start()
    answer = run(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=3)",
                 "socket.create_connection(('pypi.org', 443), timeout=3)")
    listener.join()
    server.close()
    assert answer["status"] == "ok", answer
    assert answer["outputs"][0].startswith("ConnectionRefusedError"), answer["outputs"][0]
    assert answer["outputs"][1].startswith("gaierror"), answer["outputs"][1]
    assert accepted == []


def test_it_sees_only_its_own_processes_and_cannot_forge_the_executors_answer():
    answer = run(
        "import os\nprint(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))",
        # The executor (the kernel's parent) answers on a pipe: try to write a forged answer through /proc.
        "forged = 0\nfor fd in os.listdir(f'/proc/{os.getppid()}/fd'):\n"
        "    try:\n        os.write(os.open(f'/proc/{os.getppid()}/fd/{fd}', os.O_WRONLY), b'{\"status\": \"ok\", \"notebook\": \"x\"}\\n')\n"
        "        forged += 1\n    except OSError:\n        pass\nprint('forged', forged)",
    )
    assert answer["status"] == "ok", answer
    assert len(json.loads(answer["outputs"][0])) < 10, "a PID namespace shows a handful of processes"
    assert "PermissionError" in answer["outputs"][1] or answer["outputs"][1].strip() == "forged 0"


def test_memory_past_the_limit_ends_with_memory():
    answer = run("chunks = []\nwhile True:\n    chunks.append(bytearray(100 * 2**20))", memory_bytes=512 * 2**20)
    assert answer["status"] == "memory", answer
    assert "메모리 제한(0.5 GiB)" in answer["message"]


def test_a_fork_bomb_ends_with_processes_and_leaves_nothing_behind():
    answer = run("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass")
    assert answer["status"] == "processes", answer
    assert sandboxed_processes() == []


def test_what_c_code_writes_to_the_kernels_stderr_stays_out_of_the_notebook_and_prints_stay_in():
    """A library's fd-level log (TensorFlow's) would land in whichever cell runs when its thread forwards it."""
    answer = run("import os, sys, warnings\nos.write(2, b'fd-level log\\n')\nos.write(1, b'fd-level out\\n')",
                 "print('printed')\nwarnings.warn('warned')\nprint('to stderr', file=sys.stderr)")
    assert answer["status"] == "ok", answer
    assert "fd-level" not in "".join(answer["outputs"])
    assert "printed" in answer["outputs"][1] and "warned" in answer["outputs"][1] and "to stderr" in answer["outputs"][1]


def test_a_print_sent_in_pieces_is_one_output():
    """What a print wrote, flushed in two messages (as ipykernel's timer does under load), is one output."""
    answer = run("import sys, time\nsys.stdout.write('형식 맞음'); sys.stdout.flush(); time.sleep(0.5)\nprint()",
                 "import sys\nprint('warned', file=sys.stderr)")
    assert answer["status"] == "ok", answer
    cells = nbformat.reads(answer["notebook"], as_version=4).cells
    assert [(o.name, o.text) for o in cells[0].outputs] == [("stdout", "형식 맞음\n")]
    assert [(o.name, o.text) for o in cells[1].outputs] == [("stderr", "warned\n")]


def test_printing_100_mb_ends_with_output_too_large():
    answer = run("for _ in range(100):\n    print('x' * 1_000_000)")
    assert answer["status"] == "output-too-large", answer
    assert "넘었습니다" in answer["message"]


def test_sleeping_forever_ends_with_timeout_and_a_detached_process_does_not_survive():
    answer = run(
        "import os, subprocess\nsubprocess.Popen(['sleep', '1000'], start_new_session=True)",  # detached
        "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(10**6)",
        timeout=5)
    assert answer["status"] == "timeout", answer
    assert sandboxed_processes() == []


def test_grading_refuses_once_and_clearly_without_bwrap(tmp_path):
    """A machine without the sandbox: grading stops before touching anything, unless --no-sandbox says so."""
    from class_submissions import new_course

    course = new_course(tmp_path)
    without_bwrap = dict(os.environ, PATH=str(ROOT / ".venv" / "bin"))  # bwrap and setpriv live in /usr/bin
    refused = subprocess.run([sys.executable, "-m", "hongong.grading", "grade", "ch07-1"], cwd=course,
                             capture_output=True, text=True, env=without_bwrap)
    assert refused.returncode == 3
    assert refused.stderr.count("bubblewrap(bwrap)이 없습니다") == 1 and "--no-sandbox" in refused.stderr
    assert not (course / "grades").exists() and not (course / "autograded").exists()
    allowed = subprocess.run([sys.executable, "-m", "hongong.grading", "grade", "ch07-1", "--no-sandbox"],
                             cwd=course, capture_output=True, text=True, env=without_bwrap)
    assert allowed.returncode == 0, allowed.stderr[-2000:]
    assert allowed.stdout.count("샌드박스 없이 채점합니다") == 1


def in_threads(*calls):
    """Run the calls at once, one thread each; their results in order, with each one's start and end time."""
    results = [None] * len(calls)

    def one(index, call):
        start = time.monotonic()
        results[index] = (call(), start, time.monotonic())

    threads = [threading.Thread(target=one, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_sandboxes_at_once_run_as_different_users():
    (first, start_1, end_1), (second, start_2, end_2) = in_threads(
        *[lambda: run("import os, time\nprint(os.getuid(), os.getgid())\ntime.sleep(3)")] * 2)
    assert first["status"] == second["status"] == "ok", (first, second)
    assert max(start_1, start_2) < min(end_1, end_2), "the two ran at the same time"
    uids = [tuple(map(int, answer["outputs"][0].split())) for answer in (first, second)]
    assert uids[0] != uids[1] and all(uid == gid and uid in sandbox.SANDBOX_UIDS for uid, gid in uids), uids


HOSTILE = """import ctypes, errno, os, resource, select, time
libc = ctypes.CDLL(None, use_errno=True)
instances = []
while (fd := libc.inotify_init1(0)) >= 0:
    instances.append(fd)
print('inotify instances', len(instances), errno.errorcode[ctypes.get_errno()])
paths = [os.path.join(folder, name).encode() for folder, _, names in os.walk('/usr') for name in names][:2000]
watches, failed = 0, 0
for fd in instances:
    for path in paths:
        if libc.inotify_add_watch(fd, path, 0x100) < 0:
            failed = ctypes.get_errno()
            break
        watches += 1
    if failed:
        break
print('inotify watches', watches, errno.errorcode.get(failed))
resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1]),) * 2)
read, _ = os.pipe()
polls = []
try:
    while True:
        polls.append(select.epoll())
        polls[-1].register(read)
except OSError as error:
    print('epoll', len(polls), errno.errorcode[error.errno])
del polls[-64:]  # room for the kernel's own messages
libc.prctl(15, b'exhausted')  # PR_SET_NAME: tells the test it may start the honest notebook
for _ in range(2):  # burn CPU while holding everything
    if os.fork() == 0:
        end = time.monotonic() + 20
        while time.monotonic() < end:
            pass
        os._exit(0)
time.sleep(20)"""

HONEST = """import ctypes, os, select
libc = ctypes.CDLL(None, use_errno=True)
instances = [libc.inotify_init1(0) for _ in range(3)]
watches = [libc.inotify_add_watch(fd, b'/tmp', 0x100) for fd in instances]
poll, (read, _) = select.epoll(), os.pipe()
poll.register(read)
print('inotify', min(instances + watches) >= 0, 'epoll', poll.poll(0) == [])"""


def hostile_ready():
    return any(p.info["name"] == "exhausted" for p in psutil.process_iter(["name", "uids"])
               if p.info["uids"] and p.info["uids"].real in sandbox.SANDBOX_UIDS)


def test_a_notebook_that_takes_its_users_kernel_quotas_does_not_fail_another_graded_beside_it():
    """inotify instances (128 per user here) and watches, epoll instances, CPU: the hostile takes all it can."""
    hostile = {}
    attacker = threading.Thread(target=lambda: hostile.update(run(HOSTILE, timeout=60)))
    attacker.start()
    deadline = time.monotonic() + 60
    while not hostile_ready() and attacker.is_alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert hostile_ready(), hostile
    honest = run(HONEST)
    attacker.join()
    assert honest["status"] == "ok", honest
    assert honest["outputs"][0].strip() == "inotify True epoll True", honest["outputs"]
    assert hostile["status"] == "ok", hostile
    taken = hostile["outputs"][0]
    assert "inotify instances" in taken and "EMFILE" in taken and "ENOSPC" in taken and "epoll" in taken, taken


KEYS = "import ctypes, errno\nlibc = ctypes.CDLL(None, use_errno=True)\nfailed = lambda r: f'{r} {errno.errorcode.get(ctypes.get_errno())}'\n"


@pytest.mark.skipif(platform.machine() != "x86_64", reason="system call numbers of x86_64")
def test_a_key_added_in_one_sandbox_is_refused_and_never_reaches_the_next():
    added = run(KEYS + "print(failed(libc.syscall(248, b'user', b'hongong-answers', b'q1=42', 5, -4)))",  # add_key, user keyring
                "print(failed(libc.syscall(248, b'user', b'hongong-answers', b'q1=42', 5, -3)))")  # session keyring
    assert added["status"] == "ok", added
    assert [line.strip() for line in added["outputs"][:2]] == ["-1 EPERM", "-1 EPERM"], added["outputs"]
    found = run(KEYS + "print(failed(libc.syscall(249, b'user', b'hongong-answers', None, 0)))",  # request_key
                "print(failed(libc.syscall(250, 0, -4, 0)))",  # keyctl(KEYCTL_GET_KEYRING_ID, user keyring)
                "print('hongong-answers' in open('/proc/keys').read())")
    assert found["status"] == "ok", found
    assert [line.strip() for line in found["outputs"][:3]] == ["-1 EPERM", "-1 EPERM", "False"], found["outputs"]


SOCKETS = """import ctypes, errno, socket
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
io_uring_params = ctypes.create_string_buffer(120)  # the kernel writes into it
def attempt(make):
    try:
        make().close()
        return 'ok'
    except OSError as error:
        return errno.errorcode.get(error.errno, str(error.errno))
def raw(number, *args):
    return 'ok' if libc.syscall(number, *[ctypes.c_long(a) for a in args]) >= 0 else errno.errorcode.get(ctypes.get_errno())
print(json.dumps({
    'vsock': attempt(lambda: socket.socket(40, socket.SOCK_STREAM)),
    'packet': attempt(lambda: socket.socket(17, socket.SOCK_RAW, socket.htons(3))),
    'netlink audit': attempt(lambda: socket.socket(16, socket.SOCK_RAW, 9)),
    'vsock pair': attempt(lambda: socket.socketpair(40, socket.SOCK_STREAM)[0]),
    'vsock, high bits set': raw(41, 2**32 + 40, 1, 0),
    'vsock, x32 ABI': raw(0x40000000 + 41, 40, 1, 0),
    'io_uring': raw(425, 4, ctypes.addressof(io_uring_params)),
    'unix': attempt(lambda: socket.socket(socket.AF_UNIX)),
    'unix pair': attempt(lambda: socket.socketpair()[0]),
    'inet': attempt(lambda: socket.socket(socket.AF_INET)),
    'inet6': attempt(lambda: socket.socket(socket.AF_INET6)),
    'netlink route': attempt(lambda: socket.socket(16, socket.SOCK_RAW, 0)),
}))"""


@pytest.mark.skipif(platform.machine() != "x86_64", reason="system call numbers of x86_64")
def test_only_unix_inet_and_netlink_route_sockets_can_be_made():
    answer = run("import json", SOCKETS, "import socket\nserver = socket.create_server(('localhost', 0))\n"
                 "client = socket.create_connection(server.getsockname()[:2])\nclient.sendall(b'hi')\n"
                 "print(server.accept()[0].recv(2))")
    assert answer["status"] == "ok", answer
    made = json.loads(answer["outputs"][1])
    denied = ("vsock", "packet", "netlink audit", "vsock pair", "vsock, high bits set", "vsock, x32 ABI", "io_uring")
    assert all(made[name] in ("EAFNOSUPPORT", "EPERM", "ENOSYS") for name in denied), made
    assert all(made[name] == "ok" for name in ("unix", "unix pair", "inet", "inet6", "netlink route")), made
    assert answer["outputs"][2].strip() == "b'hi'", "getaddrinfo (netlink route) and TCP on the loopback work"


def test_two_busy_threads_get_one_core():
    answer = run("import hashlib, os, threading, time\ndata = b'x' * 2**24\n"
                 "def burn():\n    end = time.monotonic() + 4\n    while time.monotonic() < end:\n"
                 "        hashlib.sha256(data).digest()  # releases the GIL: two threads could use two cores\n"
                 "threads = [threading.Thread(target=burn) for _ in range(2)]\nbefore, start = os.times(), time.monotonic()\n"
                 "for thread in threads:\n    thread.start()\nfor thread in threads:\n    thread.join()\n"
                 "after = os.times()\n"
                 "print((after.user + after.system - before.user - before.system) / (time.monotonic() - start))")
    assert answer["status"] == "ok", answer
    assert 0.3 < float(answer["outputs"][0]) <= 1.15, answer["outputs"][0]


def test_a_5_mb_notebook_is_read_whole():
    """The request reaches the sandbox whatever its size (a pasted screenshot; the checker's requests are MBs)."""
    answer = run(new_markdown_cell("x" * 5_000_000), "print('after 5 MB')", notebook_timeout=60)
    assert answer["status"] == "ok", answer
    assert answer["outputs"][1].strip() == "after 5 MB"
    assert len(nbformat.reads(answer["notebook"], as_version=4).cells[0].source) == 5_000_000


def test_a_second_copy_of_the_package_is_the_one_that_runs(tmp_path):
    """A course folder with its own hongong/ (not the copy installed in the venv): its code runs in the sandbox."""
    copy = tmp_path / "course" / "hongong"
    shutil.copytree(ROOT / "hongong", copy, ignore=shutil.ignore_patterns("__pycache__"))
    source = (copy / "grading" / "executor.py").read_text(encoding="utf-8")
    marked = source.replace('answer = {"status": "ok", "notebook": nbformat.writes(nb)}',
                            'answer = {"status": "ok", "notebook": nbformat.writes(nb), "executed_by": "the copy"}')
    assert marked != source
    (copy / "grading" / "executor.py").write_text(marked, encoding="utf-8")
    script = (f"import json, sys\nsys.path.insert(0, {str(copy.parent)!r})\nimport hongong, nbformat\n"
              f"assert hongong.__file__ == {str(copy / '__init__.py')!r}, hongong.__file__\n"
              "from hongong.grading.execute import execute_and_check\nfrom nbformat.v4 import new_code_cell, new_notebook\n"
              "notebook = new_notebook(cells=[new_code_cell('print(1 + 1)')], metadata=json.loads(sys.argv[2]))\n"
              "print(json.dumps(execute_and_check(nbformat.writes(notebook), json.loads(sys.argv[1]))))")
    done = subprocess.run([sys.executable, "-c", script, json.dumps(OPTIONS), json.dumps(KERNELSPEC)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout.splitlines()[-1])
    assert answer["status"] == "ok", answer
    assert answer.get("executed_by") == "the copy", "the executor ran the coordinator's copy"


def test_no_user_namespace_can_be_made_and_threads_and_processes_still_start():
    """A user namespace would make the learner "root" over a fresh network stack (kernel surface); threads and
    subprocesses (glibc's clone3, refused with ENOSYS, falls back to clone) must keep working."""
    answer = run("import ctypes, os, subprocess, threading\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                 "print(libc.unshare(0x10000000), ctypes.get_errno())",  # unshare(CLONE_NEWUSER)
                 "print(subprocess.run(['unshare', '-U', 'true'], capture_output=True).returncode != 0)",
                 "done = []\nthread = threading.Thread(target=lambda: done.append(1))\nthread.start()\nthread.join()\n"
                 "print(done, subprocess.run(['echo', 'child'], capture_output=True, text=True).stdout.strip())")
    assert answer["status"] == "ok", answer
    assert answer["outputs"][0].split() == ["-1", "1"], answer["outputs"][0]  # EPERM
    assert answer["outputs"][1].strip() == "True"
    assert answer["outputs"][2].strip() == "[1] child"


CHECKS = '''from hongong.grading.checks import exact, item, value


@item("test-q1", value("q1"))
def q1(answer):
    exact(answer, 1010, "정답이 아닙니다.")


@item("test-q2", value("q2"))
def q2(answer):
    exact(answer, "sigmoid", "정답이 아닙니다.")
'''


def test_a_checker_started_beside_the_notebook_judges_as_one_started_after_it_and_ends_with_a_failed_notebook():
    """``checker_alongside``: the checker's sandbox starts with the notebook's and waits for the answers."""
    import random

    from hongong.grading.checks import collect_spec, load_items

    checks = {"source": CHECKS, "name": "checks/q.py", "spec": collect_spec(load_items(CHECKS, "checks/q.py"), random.Random(1))}
    notebook = nbformat.writes(new_notebook(cells=[new_code_cell("q1 = 1010\nq2 = 'softmax'")], metadata=KERNELSPEC))
    after = execute_and_check(notebook, OPTIONS | {"checker_alongside": False}, checks)
    beside = execute_and_check(notebook, OPTIONS | {"checker_alongside": True}, checks)
    assert after["status"] == beside["status"] == "ok", (after, beside)
    assert after["verdicts"] == beside["verdicts"]
    assert [beside["verdicts"][g]["passed"] for g in ("test-q1", "test-q2")] == [True, False]

    crashed = nbformat.writes(new_notebook(cells=[new_code_cell("import os\nos._exit(1)")], metadata=KERNELSPEC))
    start = time.monotonic()
    failed = execute_and_check(crashed, OPTIONS | {"checker_alongside": True}, checks)
    assert failed["status"] == "kernel-died" and "verdicts" not in failed, failed
    assert sandboxed_processes() == [], "the waiting checker is stopped with the failed notebook, nothing left behind"
    assert time.monotonic() - start < OPTIONS["checker_timeout"], "it did not wait for the checker's deadline"
