"""The sandbox's limits (hongong/grading/sandbox.py): a breached one ends that notebook alone, with its own status.

Each test hands `execute_and_check` a small notebook (tests/sandboxed.py) that breaches a limit and checks the
status that came back and that nothing is left behind: memory, processes (a fork bomb), output (100 MB of prints),
time (sleeping forever, with a detached process), one core for two busy threads, and a notebook that takes its
user's kernel quotas (inotify, epoll) and the CPU does not fail another graded beside it.
"""

import os
import threading
import time

import psutil
import pytest

from hongong.grading import sandbox
from sandboxed import run, sandboxed_processes

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not sandbox.shutil.which("bwrap"),
                                reason="the sandbox needs root and bwrap (make setup installs it)")


def test_memory_past_the_limit_ends_with_memory():
    answer = run("chunks = []\nwhile True:\n    chunks.append(bytearray(100 * 2**20))", memory_bytes=512 * 2**20)
    assert answer["status"] == "memory", answer
    assert "메모리 제한(0.5 GiB)" in answer["message"]


def test_a_fork_bomb_ends_with_processes_and_leaves_nothing_behind():
    answer = run("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass")
    assert answer["status"] == "processes", answer
    assert sandboxed_processes() == []


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
