"""The sandbox a submission executes in: bubblewrap (``bwrap``) for what it sees, a cgroup for what it uses.

:func:`run` is the unit of grading work: one notebook in, the executed notebook (or a failure status)
out. Serial grading, the local parallel pool and Dask workers all call it, so they execute the same way.

Inside the sandbox the notebook's executor (``python -m hongong.autograde``) and its kernel see

- read-only: ``/usr`` and ``/etc`` (the system), the Python installation and ``.venv``, the ``hongong``
  package (the coordinator's copy, mounted also where the venv's python imports ``hongong`` from, so
  executor and checker run the coordinator's code), Keras's datasets (``$KERAS_HOME/datasets``, inside
  a writable ``~/.keras``: Keras leaves a read-only cache for ``/tmp/.keras`` and downloads) and
  ``/sys/devices/system/cpu`` (TensorFlow reads it);
- writable: an empty home folder and ``/tmp``, both in memory (tmpfs), sized, charged to the cgroup;
  the notebook comes in on standard input (an unlinked temporary file) and leaves, executed, on standard output;
- nothing else: not the course directory (``solutions/``, ``gradebook.db``, ``submitted/``,
  ``autograded/``, ``feedback/``), not the instructor's home, not another submission's folder, no
  network (own network namespace with only its loopback), no other process (own PID namespace);
- as a user of its own: a uid (gid the same, no passwd entry) of :data:`SANDBOX_UIDS` that no other
  sandbox on the machine has at the same time (an ``flock`` per uid under :data:`UID_LOCKS`, held for
  the run: threads, Dask workers and grading runs share the pool), so per-user kernel quotas (inotify
  instances and watches, epoll watches, processes) are the sandbox's own; no capabilities and
  ``no_new_privs`` (``setpriv`` inside the sandbox, before the executor starts), so neither file
  permissions nor setuid programs give more than that user has;
- under a seccomp filter (:func:`seccomp_program`, compiled by libseccomp, loaded by ``bwrap --seccomp``):
  ``add_key``, ``request_key``, ``keyctl`` (a key would outlive the sandbox), io_uring and new user namespaces
  (``unshare``/``clone`` with ``CLONE_NEWUSER``; ``clone3`` answers ENOSYS, so glibc uses ``clone``) fail with EPERM;
  ``socket``/``socketpair`` only for ``AF_UNIX``, ``AF_INET``, ``AF_INET6`` and ``AF_NETLINK`` with
  ``NETLINK_ROUTE`` (the network namespace covers IP only: ``AF_VSOCK`` would reach the VM host), any
  other family fails with EAFNOSUPPORT; system calls of another ABI (i386, x32) fail with ENOSYS.

Limits (each breach gives its own status, for that submission only): memory (cgroup
``memory.limit_in_bytes``/``memory.max``, swap included: the kernel's OOM killer ends the submission →
``memory``), processes and threads (``pids.max`` → ``processes``), wall time per cell and per
notebook (→ ``timeout``), bytes of output (→ ``output-too-large``, in :mod:`hongong.autograde`).
CPU time is capped at ``cpus`` cores (default 1; ``cpu.cfs_quota_us``/``cpu.max``): a busier notebook is
slowed down, not failed. When the executor ends, every process left in the cgroup is killed, the
cgroup removed and the uid handed back to the pool (kept out of it if a process survived the kill).

The sandbox needs root (to create cgroups, to mount the views and to switch users), ``bwrap``,
``setpriv`` (util-linux), ``pyseccomp`` with libseccomp (``libseccomp.so.2``), a writable cgroup v1
(``memory``, ``pids`` and ``cpu``) or v2 hierarchy with those controllers, and ``hongong`` importable
by the venv's python. :func:`check` says which is missing, once, in plain words; grading then refuses
unless run with ``--no-sandbox``.
"""

from __future__ import annotations

import errno
import fcntl
import functools
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

# The users sandboxes run as (uid = gid, no passwd entry needed): one per sandbox at a time, machine-wide.
SANDBOX_UIDS = range(1_900_000_000, 1_900_000_000 + 4096)
UID_LOCKS = Path("/run/hongong-sandbox-uids")  # one lock file per uid in use (flock), shared by every grading process
HOME = "/home/learner"
CGROUP_ROOT = Path("/sys/fs/cgroup")
GROUP = "hongong-grading"
CONTROLLERS = ("memory", "pids", "cpu")
CPU_PERIOD_US = 100_000
MPL_CACHE = "/opt/hongong/matplotlib-cache"


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run here; the message says why and what to do."""


# --- cgroups: v1 (memory + pids + cpu hierarchies) or v2 (one unified hierarchy) ---------------------

class Cgroup:
    """One cgroup per submission, with memory (swap included), process and CPU limits, read back after the run."""

    def __init__(self, limits: dict, root: Path = CGROUP_ROOT):
        self.name = f"{GROUP}/{uuid.uuid4().hex[:12]}"
        self.version = cgroup_version(root)
        if self.version == 1:
            self.memory, self.pids, self.cpu = (root / controller / self.name for controller in CONTROLLERS)
            self.folders = [self.memory, self.pids, self.cpu]
        else:
            for folder in (root, root / GROUP):  # let the children have memory, pids and cpu controllers
                folder.mkdir(exist_ok=True)
                (folder / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in CONTROLLERS))
            self.memory = self.pids = self.cpu = root / self.name
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
        self.limit_cpu(limits.get("cpus", 1.0))

    def limit_cpu(self, cpus: float | None) -> None:
        """At most ``cpus`` cores of CPU time, however many threads and processes (CFS quota per period); None: no limit."""
        quota = max(1000, round(cpus * CPU_PERIOD_US)) if cpus is not None else None
        if self.version == 1:
            (self.cpu / "cpu.cfs_period_us").write_text(str(CPU_PERIOD_US))
            (self.cpu / "cpu.cfs_quota_us").write_text(str(quota if quota is not None else -1))
        else:
            (self.cpu / "cpu.max").write_text(f"{quota if quota is not None else 'max'} {CPU_PERIOD_US}")

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

    def remove(self) -> bool:
        """Kill whatever is left in the cgroup (a detached process, a fork bomb) and remove it; False if it stays.

        The CPU quota is lifted first: a process throttled by it cannot act on SIGKILL until its next period,
        so hundreds of forked processes sharing one core would take minutes to die.
        """
        deadline = time.monotonic() + 30
        try:
            self.limit_cpu(None)
        except OSError:
            pass
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
        return not any(folder.exists() for folder in self.folders)


def cgroup_version(root: Path = CGROUP_ROOT, controllers: tuple = CONTROLLERS) -> int | None:
    """1 when writable v1 hierarchies of ``controllers`` are mounted, 2 for a v2 hierarchy with them all, else None."""
    if (root / "memory" / "memory.limit_in_bytes").exists():
        return 1 if all(os.access(root / controller, os.W_OK) for controller in controllers) else None
    available = root / "cgroup.controllers"
    if available.exists() and set(controllers) <= set(available.read_text().split()):
        return 2 if os.access(root, os.W_OK) else None
    return None


# --- users: a uid of its own for every sandbox ------------------------------------------------------

class SandboxUser:
    """A uid (and gid) of :data:`SANDBOX_UIDS` that no other sandbox on this machine has while this one runs.

    Per-user kernel quotas (inotify instances, epoll watches, processes) and the uid's keyring are then
    the sandbox's own. The lock is an ``flock`` on ``UID_LOCKS/<uid>``: threads, Dask worker processes and
    grading runs on one machine all see it, and the kernel drops it if the holder dies.
    """

    def __init__(self, pool: range = SANDBOX_UIDS, locks: Path = UID_LOCKS):
        locks.mkdir(mode=0o700, parents=True, exist_ok=True)
        for uid in pool:
            lock = os.open(locks / str(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(lock)
                continue
            self.uid, self.lock = uid, lock
            return
        raise SandboxUnavailable(f"샌드박스 사용자 {len(pool)}개가 모두 사용 중입니다({locks}). / All sandbox uids are busy.")

    def __enter__(self) -> SandboxUser:
        return self

    def __exit__(self, *exc) -> None:
        if self.lock is not None:
            os.close(self.lock)

    def keep(self) -> None:
        """Never hand this uid to another sandbox from this process (one of its processes could not be killed)."""
        self.lock = None


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
        raise SandboxUnavailable(f"샌드박스는 root로 실행해야 합니다(cgroup을 만들고 샌드박스마다 다른 사용자로 전환하려면). {hint}")
    if cgroup_version(controllers=("memory", "pids")) is None:
        raise SandboxUnavailable(f"쓸 수 있는 cgroup(v1 memory+pids 또는 v2)이 없어 메모리·프로세스 제한을 걸 수 없습니다. {hint}")
    if cgroup_version() is None:
        raise SandboxUnavailable(f"cgroup에 cpu 컨트롤러(v1: {CGROUP_ROOT}/cpu, v2: cgroup.controllers의 cpu)가 없어 "
                                 f"CPU 제한을 걸 수 없습니다. {hint}")
    try:
        seccomp_program()
    except (ImportError, RuntimeError, OSError) as error:
        raise SandboxUnavailable(f"seccomp 필터를 만들 수 없습니다({error}): pyseccomp(requirements.txt)와 "
                                 f"libseccomp2가 필요합니다. {hint}") from None
    if sandbox_package_path() is None:
        raise SandboxUnavailable(f"가상 환경의 파이썬({sys.executable})이 hongong 패키지를 찾지 못합니다: 샌드박스 안의 "
                                 f"실행기와 채점기가 이 패키지를 import합니다. `make venv`(pip install -e .)로 설치하세요. {hint}")
    with SandboxUser() as user, seccomp_file() as program:
        probe = subprocess.run([bwrap, "--unshare-pid", "--unshare-net", "--ro-bind", "/usr", "/usr", *system_links(),
                                "--seccomp", str(program.fileno()), *as_sandbox_user(user.uid), "true"],
                               capture_output=True, text=True, pass_fds=(program.fileno(),))
    if probe.returncode != 0:
        raise SandboxUnavailable(f"bwrap이 샌드박스를 만들지 못했습니다({probe.stderr.strip()[-200:]}): "
                                 f"컨테이너 안이라면 네임스페이스가 막혀 있을 수 있습니다. {hint}")


# --- system calls: a seccomp filter, compiled by libseccomp, loaded by bwrap -------------------------

SOCKET_FAMILIES = (socket.AF_UNIX, socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK)  # the only ones allowed
NETLINK_ROUTE = 0  # the only netlink protocol allowed (glibc's getaddrinfo asks it for the interfaces)
AF_MAX = 46  # families above are denied by one comparison (as are values with high bits set)
CLONE_NEWUSER = 0x10000000
DENIED_CALLS = ("add_key", "request_key", "keyctl",  # keyrings outlive the sandbox (the uid's, the user's)
                "io_uring_setup", "io_uring_enter", "io_uring_register")  # io_uring creates sockets past the filter


@functools.cache
def seccomp_program() -> bytes:
    """The BPF program every sandbox runs under: no keyrings, no io_uring, no user namespace, sockets of the
    allowed families only.

    Everything else is allowed. Denied calls fail with EPERM, denied socket families with EAFNOSUPPORT;
    a system call of another ABI (i386's ``int 0x80``, x32's numbers) fails with ENOSYS, so it cannot
    slip past rules written for the native one.
    """
    import pyseccomp as seccomp

    rules = seccomp.SyscallFilter(seccomp.ALLOW)
    rules.set_attr(seccomp.Attr.ACT_BADARCH, seccomp.ERRNO(errno.ENOSYS))
    for call in DENIED_CALLS:
        rules.add_rule(seccomp.ERRNO(errno.EPERM), call)
    for call in ("unshare", "clone"):  # a user namespace would give "root" over new network stacks: kernel surface
        rules.add_rule(seccomp.ERRNO(errno.EPERM), call, seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER))
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")  # flags behind a pointer: glibc falls back to clone
    refuse = seccomp.ERRNO(errno.EAFNOSUPPORT)
    for call in ("socket", "socketpair"):
        for family in set(range(AF_MAX + 1)) - set(SOCKET_FAMILIES):
            rules.add_rule(refuse, call, seccomp.Arg(0, seccomp.EQ, family))
        rules.add_rule(refuse, call, seccomp.Arg(0, seccomp.GT, AF_MAX))
        rules.add_rule(refuse, call, seccomp.Arg(0, seccomp.EQ, socket.AF_NETLINK),
                       seccomp.Arg(2, seccomp.NE, NETLINK_ROUTE))
    with os.fdopen(os.memfd_create("hongong-seccomp"), "w+b") as compiled:
        rules.export_bpf(compiled)
        compiled.seek(0)
        return compiled.read()


def seccomp_file():
    """The program in a fresh in-memory file (bwrap reads it to the end from ``--seccomp FD``)."""
    program = os.fdopen(os.memfd_create("hongong-seccomp"), "w+b")
    program.write(seccomp_program())
    program.seek(0)
    return program


@functools.cache
def sandbox_package_path() -> str | None:
    """Where the sandbox's interpreter imports ``hongong`` from (as the checker: ``-I``, cwd ``/``); None if nowhere.

    The coordinator's package is mounted there, so executor and checker run the coordinator's code even
    when the venv holds (editable) another copy of the package.
    """
    code = "import importlib.util as u; s = u.find_spec('hongong'); print(s.submodule_search_locations[0] if s else '')"
    found = subprocess.run([sys.executable, "-I", "-c", code], cwd="/", env={"PATH": "/usr/bin:/bin"},
                           capture_output=True, text=True)
    return found.stdout.strip() or None


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
    imported = sandbox_package_path() or str(package)  # where the venv's python imports hongong from
    # The folders leading to them, readable by the sandbox's user (bwrap would make them 0700; /root is 0700 anyway).
    for parent in sorted({str(a) for path in [*paths, imported] for a in Path(path).parents if str(a) != "/"}, key=len):
        arguments += ["--perms", "0755", "--dir", parent]
    for path in paths:
        arguments += ["--ro-bind", path, path]
    if imported != str(package):  # the coordinator's code, wherever the sandbox's interpreter looks for it
        arguments += ["--ro-bind", str(package), imported]
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


def as_sandbox_user(uid: int) -> list[str]:
    """Inside the sandbox, before the executor: become ``uid`` (gid the same), with no capabilities and no_new_privs."""
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs",
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
    (False: no sandbox, only a scratch folder), ``memory_bytes``, ``max_processes``, ``cpus``, ``tmp_bytes``,
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
    with SandboxUser() as user, seccomp_file() as program:
        return _run_sandboxed(command, stdin, options, timeout, user, program)


def _run_sandboxed(command: list[str], stdin: bytes, options: dict, timeout: float, user: SandboxUser, program) -> dict:
    """:func:`_run` in the sandbox, as ``user``, under the seccomp ``program`` (an open file)."""
    from hongong.autograde import run_child

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
        # Join the cgroup, enter bwrap (as root: it may bind what root can read), become the sandbox's user inside.
        join = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 97; shift; done; shift; exec "$@"'
        wrapped = ["/bin/sh", "-c", join, "sh", *cgroup.procs_files, "--", *bwrap_arguments(options),
                   "--seccomp", str(program.fileno()), *as_sandbox_user(user.uid), *command]
        answer = run_child(wrapped, cwd="/", timeout=timeout, stdin=stdin, env=sandbox_environment(), watch=breached,
                           pass_fds=(program.fileno(),))
        answer = breached() or answer  # a kernel killed by the OOM killer reads as "kernel died" to the executor
        peak = cgroup.peak_memory()
    finally:
        if not cgroup.remove():
            user.keep()  # a process of this uid survived: no other sandbox gets the uid while this process lives
    if peak is not None:
        answer["peak_memory_mb"] = round(peak / 2**20)
    return answer
