"""The sandbox: run one command in a box, bubblewrap (``bwrap``) for what it sees, a cgroup for what it uses.

Who runs it: :func:`hongong.grading.execute.execute_and_check` (in the instructor's process, a local pool
thread or a Dask worker), once for the executor and once for the checker. :func:`run_in_sandbox` takes a
command, the bytes for its standard input, limits and a deadline, and returns the one JSON line the command
printed last, or a failure status. It knows nothing of nbgrader, notebooks or grades.

Inside the sandbox the command (and every process it starts) sees

- read-only: ``/usr`` and ``/etc`` (the system), the Python installation and ``.venv``, the ``hongong``
  package (the coordinator's copy, mounted also where the venv's python imports ``hongong`` from, so
  the sandboxed code is the coordinator's), Keras's datasets (``$KERAS_HOME/datasets``, inside
  a writable ``~/.keras``: Keras leaves a read-only cache for ``/tmp/.keras`` and downloads) and
  ``/sys/devices/system/cpu`` (TensorFlow reads it);
- writable: an empty home folder and ``/tmp``, both in memory (tmpfs), sized, charged to the cgroup;
  the request comes in on standard input (an unlinked temporary file, or a pipe for a request given later:
  :mod:`hongong.grading.child`) and the answer leaves on standard output;
- nothing else: not the course directory (``solutions/``, ``gradebook.db``, ``submitted/``,
  ``autograded/``, ``feedback/``), not the instructor's home, not another submission's folder, no
  network (own network namespace with only its loopback), no other process (own PID namespace);
- as a user of its own: a uid (gid the same, no passwd entry) of :data:`SANDBOX_UIDS` that no other
  sandbox on the machine has at the same time (an ``flock`` per uid under :data:`UID_LOCKS`, held for
  the run: threads, Dask workers and grading runs share the pool), so per-user kernel quotas (inotify
  instances and watches, epoll watches, processes) are the sandbox's own; no capabilities and
  ``no_new_privs`` (``setpriv`` inside the sandbox, before the command starts), so neither file
  permissions nor setuid programs give more than that user has;
- under the seccomp filter of :mod:`hongong.grading.seccomp` (no keyrings, io_uring or user namespaces;
  sockets of the UNIX, IP and netlink-route families only; no other ABI).

Limits (each breach gives its own status): memory (:mod:`hongong.grading.cgroup`, swap included: the kernel's
OOM killer ends the command → ``memory``), processes and threads (→ ``processes``), wall time (→ ``timeout``).
CPU time is capped at ``cpus`` cores (default 1): a busier command is slowed down, not failed. When the
command ends, every process left in the cgroup is killed, the cgroup removed and the uid handed back to the
pool (kept out of it if a process survived the kill).

The sandbox needs root (to create cgroups, to mount the views and to switch users), ``bwrap``,
``setpriv`` (util-linux), ``pyseccomp`` with libseccomp (``libseccomp.so.2``), a writable cgroup v1
(``memory``, ``pids`` and ``cpu``) or v2 hierarchy with those controllers, and ``hongong`` importable
by the venv's python. :func:`check` says which is missing, once, in plain words; grading then refuses
unless run with ``--no-sandbox``.
"""

from __future__ import annotations

import fcntl
import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

from hongong.grading.child import LaterInput, run_child
from hongong.grading.cgroup import CGROUP_ROOT, Cgroup, cgroup_version
from hongong.grading.seccomp import seccomp_file, seccomp_program

# The users sandboxes run as (uid = gid, no passwd entry needed): one per sandbox at a time, machine-wide.
SANDBOX_UIDS = range(1_900_000_000, 1_900_000_000 + 4096)
UID_LOCKS = Path("/run/hongong-sandbox-uids")  # one lock file per uid in use (flock), shared by every grading process
HOME = "/home/learner"
MPL_CACHE = "/opt/hongong/matplotlib-cache"


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run here; the message says why and what to do."""


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
    package = Path(__file__).resolve().parents[1]  # hongong/, this process's copy
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


def run_in_sandbox(command: list[str], stdin: bytes | LaterInput, options: dict, timeout: float,
                   timeout_message: str | None = None) -> dict:
    """Run ``command`` (one JSON line of answer on its stdout) in the sandbox with the limits of ``options``.

    ``options``: ``sandbox`` (False: no box, only an empty scratch folder as working directory), ``memory_bytes``,
    ``max_processes``, ``cpus``, ``tmp_bytes``. After ``timeout`` seconds the command and everything it started
    are killed: ``{"status": "timeout", "message": timeout_message}``.
    """
    if not options.get("sandbox", True):
        import tempfile

        with tempfile.TemporaryDirectory(prefix="hongong-submission-") as scratch:
            return run_child(command, cwd=scratch, timeout=timeout, stdin=stdin, timeout_message=timeout_message)
    check()
    with SandboxUser() as user, seccomp_file() as program:
        return _run_sandboxed(command, stdin, options, timeout, timeout_message, user, program)


def _run_sandboxed(command: list[str], stdin: bytes | LaterInput, options: dict, timeout: float,
                   timeout_message: str | None,
                   user: SandboxUser, program) -> dict:
    """:func:`run_in_sandbox` in the box, as ``user``, under the seccomp ``program`` (an open file)."""
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
                           pass_fds=(program.fileno(),), timeout_message=timeout_message)
        answer = breached() or answer  # a kernel killed by the OOM killer reads as "kernel died" to the executor
        peak = cgroup.peak_memory()
    finally:
        if not cgroup.remove():
            user.keep()  # a process of this uid survived: no other sandbox gets the uid while this process lives
    if peak is not None:
        answer["peak_memory_mb"] = round(peak / 2**20)
    return answer
