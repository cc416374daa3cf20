"""The sandbox a submission executes in: bubblewrap (``bwrap``) for what it sees, a cgroup for what it uses.

:func:`run` is the unit of grading work: one notebook in, the executed notebook (or a failure status)
out. Serial grading, the local parallel pool and Dask workers all call it, so they execute the same way.

Inside the sandbox the notebook's executor (``python -m hongong.autograde``) and its kernel see

- read-only: ``/usr`` and ``/etc`` (the system), the Python installation and ``.venv``, the ``hongong``
  package, Keras's datasets (``$KERAS_HOME/datasets``, inside a writable ``~/.keras``: Keras leaves a
  read-only cache for ``/tmp/.keras`` and downloads) and ``/sys/devices/system/cpu`` (TensorFlow reads it);
- writable: an empty home folder and ``/tmp``, both in memory (tmpfs), sized, charged to the cgroup;
  the notebook comes in on standard input and leaves, executed, on standard output;
- nothing else: not the course directory (``solutions/``, ``gradebook.db``, ``submitted/``,
  ``autograded/``, ``feedback/``), not the instructor's home, not another submission's folder, no
  network (own network namespace with only its loopback), no other process (own PID namespace);
- as user ``nobody`` (65534) with no capabilities and ``no_new_privs`` (``setpriv`` inside the sandbox,
  before the executor starts), so neither file permissions nor setuid programs give more than that
  user has.

Limits (each breach gives its own status, for that submission only): memory (cgroup
``memory.limit_in_bytes``/``memory.max``, swap included: the kernel's OOM killer ends the submission →
``memory``), processes and threads (``pids.max`` → ``processes``), wall time per cell and per
notebook (→ ``timeout``), bytes of output (→ ``output-too-large``, in :mod:`hongong.autograde`).
When the executor ends, every process left in the cgroup is killed and the cgroup removed.

The sandbox needs root (to create cgroups, to mount the views and to switch to ``nobody``), ``bwrap``,
``setpriv`` (util-linux) and a writable cgroup v1 (``memory`` and ``pids``) or v2 hierarchy. :func:`check` says which is
missing, once, in plain words; grading then refuses unless run with ``--no-sandbox``.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

SANDBOX_UID = 65534  # nobody
HOME = "/home/learner"
CGROUP_ROOT = Path("/sys/fs/cgroup")
GROUP = "hongong-grading"
MPL_CACHE = "/opt/hongong/matplotlib-cache"


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run here; the message says why and what to do."""


# --- cgroups: v1 (memory + pids hierarchies) or v2 (one unified hierarchy) ---------------------------

class Cgroup:
    """One cgroup per submission, with memory (swap included) and process limits, read back after the run."""

    def __init__(self, limits: dict, root: Path = CGROUP_ROOT):
        self.name = f"{GROUP}/{uuid.uuid4().hex[:12]}"
        self.version = cgroup_version(root)
        if self.version == 1:
            self.memory, self.pids = root / "memory" / self.name, root / "pids" / self.name
            self.folders = [self.memory, self.pids]
        else:
            for folder in (root, root / GROUP):  # let the children have memory and pids controllers
                folder.mkdir(exist_ok=True)
                (folder / "cgroup.subtree_control").write_text("+memory +pids")
            self.memory = self.pids = root / self.name
            self.folders = [self.memory]
        for folder in self.folders:
            folder.mkdir(parents=True, exist_ok=True)
        memory = str(limits["memory_bytes"])
        if self.version == 1:
            (self.memory / "memory.limit_in_bytes").write_text(memory)
            if (self.memory / "memory.memsw.limit_in_bytes").exists():
                (self.memory / "memory.memsw.limit_in_bytes").write_text(memory)
        else:
            (self.memory / "memory.max").write_text(memory)
            if (self.memory / "memory.swap.max").exists():
                (self.memory / "memory.swap.max").write_text("0")
        (self.pids / "pids.max").write_text(str(limits["max_processes"]))

    @property
    def procs_files(self) -> list[str]:
        return [str(folder / "cgroup.procs") for folder in self.folders]

    def _counter(self, file: Path, key: str) -> int:
        for line in file.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
        return 0

    def breaches(self) -> dict:
        """Whether the memory limit made the OOM killer act, and whether a fork or thread hit the process limit."""
        events = self.memory / ("memory.oom_control" if self.version == 1 else "memory.events")
        return {"memory": self._counter(events, "oom_kill") > 0,
                "processes": self._counter(self.pids / "pids.events", "max") > 0}

    def peak_memory(self) -> int | None:
        peak = self.memory / ("memory.max_usage_in_bytes" if self.version == 1 else "memory.peak")
        return int(peak.read_text()) if peak.exists() else None

    def remove(self) -> None:
        """Kill whatever is left in the cgroup (a detached process, a fork bomb) and remove it."""
        deadline = time.monotonic() + 30
        for folder in self.folders:
            while time.monotonic() < deadline:
                pids = [int(p) for p in (folder / "cgroup.procs").read_text().split()]
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, 9)
                    except ProcessLookupError:
                        pass
                time.sleep(0.05)
            try:
                folder.rmdir()
            except OSError:
                pass


def cgroup_version(root: Path = CGROUP_ROOT) -> int | None:
    """1 when writable v1 ``memory`` and ``pids`` hierarchies are mounted, 2 for a v2 hierarchy with both, else None."""
    if (root / "memory" / "memory.limit_in_bytes").exists() and (root / "pids").is_dir():
        return 1 if os.access(root / "memory", os.W_OK) and os.access(root / "pids", os.W_OK) else None
    controllers = root / "cgroup.controllers"
    if controllers.exists() and {"memory", "pids"} <= set(controllers.read_text().split()):
        return 2 if os.access(root, os.W_OK) else None
    return None


# --- availability -----------------------------------------------------------------------------------

@functools.cache  # once per process (the coordinator, each Dask worker); a failure raises and is not cached
def check() -> None:
    """Raise :class:`SandboxUnavailable` with the reason when submissions cannot be sandboxed here."""
    bwrap = shutil.which("bwrap")
    hint = ("채점은 샌드박스 없이 진행하지 않습니다. 이 컴퓨터에서 학습자 코드를 강사 권한으로 실행해도 된다면 "
            "--no-sandbox 를 붙이세요(권장하지 않음). / Grading refuses to run submissions unsandboxed; "
            "add --no-sandbox to accept that risk.")
    if bwrap is None:
        raise SandboxUnavailable(f"bubblewrap(bwrap)이 없습니다: apt-get install bubblewrap (make setup이 설치합니다). {hint}")
    if os.geteuid() != 0:
        raise SandboxUnavailable(f"샌드박스는 root로 실행해야 합니다(cgroup을 만들고 nobody 사용자로 바꾸기 위해). {hint}")
    if cgroup_version() is None:
        raise SandboxUnavailable(f"쓸 수 있는 cgroup(v1 memory+pids 또는 v2)이 없어 메모리·프로세스 제한을 걸 수 없습니다. {hint}")
    probe = subprocess.run([bwrap, "--unshare-pid", "--unshare-net", "--ro-bind", "/usr", "/usr", *system_links(),
                            *as_nobody(), "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        raise SandboxUnavailable(f"bwrap이 샌드박스를 만들지 못했습니다({probe.stderr.strip()[-200:]}): "
                                 f"컨테이너 안이라면 네임스페이스가 막혀 있을 수 있습니다. {hint}")


def system_links() -> list[str]:
    """/bin, /lib, … as on the host: symlinks into /usr (merged /usr) or read-only binds."""
    arguments = []
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            arguments += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            arguments += ["--ro-bind", top, top]
    return arguments


# --- the sandboxed run ------------------------------------------------------------------------------

def bwrap_arguments(limits: dict) -> list[str]:
    """What the sandbox sees (see the module docstring)."""
    import hongong

    package = Path(hongong.__file__).parent
    arguments = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                 "--die-with-parent", "--new-session", "--hostname", "sandbox",
                 "--ro-bind", "/usr", "/usr", *system_links(), "--ro-bind", "/etc", "/etc",
                 "--ro-bind-try", "/sys/devices/system/cpu", "/sys/devices/system/cpu",
                 "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/dev/shm",
                 "--perms", "1777", "--size", str(limits["tmp_bytes"]), "--tmpfs", "/tmp",
                 "--perms", "1777", "--size", str(limits["tmp_bytes"]), "--tmpfs", HOME]
    paths = sorted({os.path.realpath(sys.base_prefix), sys.prefix, str(package)})
    # The folders leading to them, readable by nobody (bwrap would make them 0700; /root is 0700 anyway).
    for parent in sorted({str(a) for path in paths for a in Path(path).parents if str(a) != "/"}, key=len):
        arguments += ["--perms", "0755", "--dir", parent]
    for path in paths:
        arguments += ["--ro-bind", path, path]
    # Keras's cache must be writable or Keras moves to /tmp/.keras (and downloads): a writable folder in the
    # home, with the host's datasets read-only inside it.
    arguments += ["--perms", "0777", "--dir", f"{HOME}/.keras"]
    keras_home = os.environ.get("KERAS_HOME")
    if keras_home and os.path.isdir(os.path.join(keras_home, "datasets")):
        arguments += ["--ro-bind", os.path.join(keras_home, "datasets"), f"{HOME}/.keras/datasets",
                      "--ro-bind-try", os.path.join(keras_home, "keras.json"), f"{HOME}/.keras/keras.json"]
    try:
        import matplotlib

        arguments += ["--ro-bind-try", matplotlib.get_cachedir(), MPL_CACHE]
    except ImportError:
        pass
    return arguments + ["--chdir", HOME]


def as_nobody() -> list[str]:
    """Inside the sandbox, before the executor: become nobody, with no capabilities and no_new_privs."""
    return ["setpriv", f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_UID}", "--clear-groups", "--no-new-privs",
            "--inh-caps=-all", "--bounding-set=-all", "--"]


def sandbox_environment() -> dict:
    """The only environment variables the sandbox gets: nothing of the instructor's shell leaks in."""
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": HOME, "LANG": "C.UTF-8",
           "KERAS_HOME": f"{HOME}/.keras", "MPLCONFIGDIR": f"{HOME}/.config/matplotlib", "HONGONG_MPL_CACHE": MPL_CACHE}
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        env["TF_CPP_MIN_LOG_LEVEL"] = os.environ["TF_CPP_MIN_LOG_LEVEL"]
    return env


def run(notebook: str, options: dict, checks: dict | None = None) -> dict:
    """Execute one notebook (JSON text), then let the checker judge its answers; return the answer.

    ``{"status": "ok", "notebook": …, "verdicts": {grade_id: {"passed", "message"}}}`` or a failure
    (``status`` and ``message``). ``options``: ``timeout`` and ``interrupt_on_timeout`` (per cell,
    nbgrader's), ``notebook_timeout``, ``max_cell_output_bytes``, ``max_notebook_output_bytes``, ``sandbox``
    (False: no sandbox, only a scratch folder), ``memory_bytes``, ``max_processes``, ``tmp_bytes``,
    ``max_answer_bytes``, ``checker_timeout``. ``checks`` (from ``ExecuteInScratch.checks``): the check
    module's ``source`` and ``name`` and the ``spec`` of answers to collect; None executes only.

    The learner's kernel and the checker never share a process or a sandbox: the checker is a fresh
    ``python -I -m hongong.checker`` in a sandbox of its own, given the answers as data on its stdin.
    """
    start = time.perf_counter()
    executor = [sys.executable, "-m", "hongong.autograde", json.dumps(options)]
    request = {"notebook": notebook, "answers": checks["spec"] if checks else None}
    answer = _run(executor, json.dumps(request).encode(), options, options["notebook_timeout"])
    answer["execution_seconds"] = round(time.perf_counter() - start, 1)
    if checks is None or answer["status"] != "ok":
        return answer
    start = time.perf_counter()
    request = {"checks": checks["source"], "checks_name": checks["name"], "spec": checks["spec"],
               "files": answer.pop("answers", {})}
    judged = _run([sys.executable, "-I", "-m", "hongong.checker"], json.dumps(request).encode(), options,
                  options["checker_timeout"])
    answer["checker_seconds"] = round(time.perf_counter() - start, 1)
    if "peak_memory_mb" in judged:  # the larger of the two sandboxes' peaks
        answer["peak_memory_mb"] = max(answer.get("peak_memory_mb", 0), judged["peak_memory_mb"])
    if judged["status"] != "ok":
        return {**answer, "status": "checker-failed", "notebook": None,
                "message": f"채점기가 답을 판정하지 못했습니다({judged['status']}): {judged.get('message', '')}"[:500]}
    answer["verdicts"] = judged["verdicts"]
    return answer


def _run(command: list[str], stdin: bytes, options: dict, timeout: float) -> dict:
    """Run ``command`` (one JSON line of answer on its stdout) in the sandbox with the limits of ``options``."""
    from hongong.autograde import run_child

    if not options.get("sandbox", True):
        import tempfile

        with tempfile.TemporaryDirectory(prefix="hongong-submission-") as scratch:
            return run_child(command, cwd=scratch, timeout=timeout, stdin=stdin)
    check()
    cgroup = Cgroup(options)

    def breached() -> dict | None:
        found = cgroup.breaches()
        if found["memory"]:
            return {"status": "memory", "message": f"메모리 제한({options['memory_bytes'] / 2**30:.1f} GiB)을 넘어 "
                                                    "강제 종료했습니다."}
        if found["processes"]:
            return {"status": "processes", "message": f"프로세스·스레드 제한({options['max_processes']}개)에 걸려 "
                                                       "강제 종료했습니다(끝없이 fork하는 코드?)."}
        return None

    try:
        # Join the cgroup, enter bwrap (as root: it may bind what root can read), become nobody inside.
        join = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 97; shift; done; shift; exec "$@"'
        wrapped = ["/bin/sh", "-c", join, "sh", *cgroup.procs_files, "--", *bwrap_arguments(options), *as_nobody(), *command]
        answer = run_child(wrapped, cwd="/", timeout=timeout, stdin=stdin, env=sandbox_environment(), watch=breached)
        answer = breached() or answer  # a kernel killed by the OOM killer reads as "kernel died" to the executor
        peak = cgroup.peak_memory()
    finally:
        cgroup.remove()
    if peak is not None:
        answer["peak_memory_mb"] = round(peak / 2**20)
    return answer
