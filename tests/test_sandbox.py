"""The sandbox a submission executes in (hongong/grading/sandbox.py), attacked cell by cell as a learner could.

Each test hands `execute_and_check` a small notebook (no TensorFlow: seconds each; tests/sandboxed.py) and checks the
attempt's own output showing that it found nothing: no course directory, home or other submission to read, nothing
outside its home to write, no server on the host's loopback, no other process, no key left for the next sandbox,
no socket but unix, inet and netlink route (each refusal the filter's own, and seen to differ without the
filter), no user namespace; two sandboxes at once run as different users.
Limits: tests/test_sandbox_limits.py; the executor around it: tests/test_sandbox_executor.py. The whole class,
graded through nbgrader with these attempts among honest learners, is in tests/test_instructor_workflow.py.
"""

import json
import os
import platform
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT
from hongong.grading import sandbox
from sandboxed import run

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not sandbox.shutil.which("bwrap"),
                                reason="the sandbox needs root and bwrap (make setup installs it)")


def test_it_sees_no_course_directory_no_home_and_no_other_submission(tmp_path):
    other = tmp_path / "submitted" / "someone" / "ch07-1"
    other.mkdir(parents=True)
    (other / "ch07-1.ipynb").write_text("someone else's work")
    home = Path.home()  # the home of whoever grades: a file of theirs the sandbox must not show
    planted = home / f"hongong-sandbox-probe-{os.getpid()}"
    planted.write_text("the instructor's own file")
    try:
        answer = run(
            "import os\nprint(os.getuid(), os.getcwd(), sorted(n for n in os.listdir('.') if not n.startswith('.')))",
            f"print(os.path.exists({str(ROOT / 'solutions')!r}), os.path.exists({str(ROOT / 'nbgrader_config.py')!r}))",
            f"print(os.path.exists({str(other)!r}), os.path.exists('/tmp/' + {tmp_path.relative_to('/tmp').parts[0]!r}))",
            f"print(sorted(os.listdir({str(home)!r})) if os.path.isdir({str(home)!r}) else [])",
            f"print(sorted(os.listdir({str(ROOT)!r})))",
        )
    finally:
        planted.unlink()
    assert answer["status"] == "ok", answer
    uid_cwd, course, other_seen, home_seen, listing = answer["outputs"]
    uid, cwd_listing = uid_cwd.split(" ", 1)
    assert int(uid) in sandbox.SANDBOX_UIDS, "a uid of the sandboxes' pool"
    assert cwd_listing.startswith("/home/learner []"), "the notebook itself is never written where the kernel can read it"
    assert course.strip() == "False False"
    assert other_seen.strip() == "False False"
    # of the grader's home, only the way to what the sandbox mounts (a Python installation kept there, if any)
    mounted = [Path(p).resolve() for p in (sys.base_prefix, sys.prefix, ROOT)]
    on_the_way = sorted({p.relative_to(home).parts[0] for p in mounted if p.is_relative_to(home) and p != home})
    assert planted.name not in home_seen and home_seen.strip() == str(on_the_way), (home_seen, on_the_way)
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


# What the seccomp filter answers (hongong/grading/seccomp.py): EAFNOSUPPORT for a socket family it refuses, EPERM for
# a call it refuses, ENOSYS for a call of another ABI. Each is also checked against the same call without the filter.
FILTERED = {"vsock": "EAFNOSUPPORT", "packet": "EAFNOSUPPORT", "netlink audit": "EAFNOSUPPORT",
            "vsock pair": "EAFNOSUPPORT", "vsock, high bits set": "EAFNOSUPPORT", "vsock, x32 ABI": "ENOSYS",
            "io_uring": "EPERM"}
X86_64 = pytest.mark.skipif(platform.machine() != "x86_64", reason="system call numbers of x86_64")


@X86_64
def test_only_unix_inet_and_netlink_route_sockets_can_be_made():
    answer = run("import json", SOCKETS, "import socket\nserver = socket.create_server(('localhost', 0))\n"
                 "client = socket.create_connection(server.getsockname()[:2])\nclient.sendall(b'hi')\n"
                 "print(server.accept()[0].recv(2))")
    assert answer["status"] == "ok", answer
    made = json.loads(answer["outputs"][1])
    assert {name: made[name] for name in FILTERED} == FILTERED, made  # the filter's own answers, each one
    assert all(made[name] == "ok" for name in ("unix", "unix pair", "inet", "inet6", "netlink route")), made
    assert answer["outputs"][2].strip() == "b'hi'", "getaddrinfo (netlink route) and TCP on the loopback work"


def allow_everything():
    """A seccomp program that allows every call, in place of the sandbox's (the negative control)."""
    import pyseccomp as seccomp

    program = os.fdopen(os.memfd_create("allow-everything"), "w+b")
    seccomp.SyscallFilter(seccomp.ALLOW).export_bpf(program)
    program.seek(0)
    return program


@X86_64
@pytest.mark.parametrize("name", sorted(FILTERED))
def test_without_the_filter_the_same_call_gets_another_answer(name, monkeypatch):
    """The negative control: the answer above is the filter's, not the kernel's or the missing capabilities' (without the
    filter, on this machine: vsock, netlink audit and io_uring are made, packet gets EPERM, a vsock pair ENOTSUP, and the
    x32 call does not return)."""
    monkeypatch.setattr(sandbox, "seccomp_file", allow_everything)
    setup, rows = SOCKETS.split("print(json.dumps({")
    call = next(line.strip().rstrip(",").split(": ", 1)[1] for line in rows.splitlines() if line.strip().startswith(f"'{name}'"))
    answer = run("import json", setup + f"print({call})", timeout=5)  # x32 on a kernel without it may never return
    control = answer["outputs"][1].strip() if answer["status"] == "ok" else answer["status"]
    assert control != FILTERED[name], f"this kernel answers {control} to {name} by itself: the row proves nothing here"


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
