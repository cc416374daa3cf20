"""A cgroup per sandbox: memory (swap included), process and CPU limits, read back after the run.

Who runs it: :mod:`hongong.grading.sandbox` in the instructor's process (or a Dask worker), as root, around
each sandboxed command. Works with cgroup v1 (memory + pids + cpu hierarchies) or v2 (one unified hierarchy).
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
GROUP = "hongong-grading"
CONTROLLERS = ("memory", "pids", "cpu")
CPU_PERIOD_US = 100_000


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
