"""The sandbox a submission executes in (hongong/sandbox.py), attacked cell by cell as a learner could.

Each test hands `sandbox.run` a small notebook (no TensorFlow: seconds each) and checks what came back:
the status of a breached limit, or the attempt's own output showing that it found nothing. The whole
class, graded through nbgrader with these attempts among honest learners, is in
tests/test_instructor_workflow.py.
"""

import json
import os
import socket
import subprocess
import sys
import threading

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from conftest import ROOT
from hongong import sandbox

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not sandbox.shutil.which("bwrap"),
                                reason="the sandbox needs root and bwrap (make setup installs it)")

OPTIONS = {"timeout": 20, "interrupt_on_timeout": True, "notebook_timeout": 90, "max_cell_output_bytes": 1_000_000,
           "max_notebook_output_bytes": 5_000_000, "sandbox": True, "memory_bytes": 1 * 2**30,
           "max_processes": 128, "tmp_bytes": 64 * 2**20, "max_answer_bytes": 2**20, "checker_timeout": 60}


def run(*cells, **options):
    notebook = new_notebook(cells=[new_code_cell(c) for c in cells], metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    answer = sandbox.run(nbformat.writes(notebook), OPTIONS | options)
    if answer["status"] == "ok":
        executed = nbformat.reads(answer["notebook"], as_version=4)
        answer["outputs"] = [
            "".join(o.get("text", "") or f"{o.get('ename', '')}: {o.get('evalue', '')}" or json.dumps(o.get("data", {}))
                    for o in cell.outputs) for cell in executed.cells]
    return answer


def sandboxed_processes():
    return [p for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real == sandbox.SANDBOX_UID]


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
    assert uid_cwd.startswith("65534 /home/learner []"), "the notebook itself is never written where the kernel can read it"
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
    refused = subprocess.run([sys.executable, "-m", "hongong.classroom", "grade", "ch07-1"], cwd=course,
                             capture_output=True, text=True, env=without_bwrap)
    assert refused.returncode == 3
    assert refused.stderr.count("bubblewrap(bwrap)이 없습니다") == 1 and "--no-sandbox" in refused.stderr
    assert not (course / "grades").exists() and not (course / "autograded").exists()
    allowed = subprocess.run([sys.executable, "-m", "hongong.classroom", "grade", "ch07-1", "--no-sandbox"],
                             cwd=course, capture_output=True, text=True, env=without_bwrap)
    assert allowed.returncode == 0, allowed.stderr[-2000:]
    assert allowed.stdout.count("샌드박스 없이 채점합니다") == 1
