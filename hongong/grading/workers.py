"""Where the executions run: local threads (each waits for its sandbox) or a Dask cluster.

Who runs it: :func:`hongong.grading.classroom.grade`, in the instructor's process. The work itself is
:func:`hongong.grading.execute.execute_and_check`; this module only spreads it, ``jobs`` at a time.
"""

from __future__ import annotations

import os
import time

from traitlets import Bool, Integer, Unicode
from traitlets.config import Configurable


class ClassGrading(Configurable):
    """How ``grade`` spreads the executions (``c.ClassGrading.…`` in nbgrader_config.py, or the command's flags)."""

    jobs = Integer(0, help="Submissions executed at once; 0: one per core.").tag(config=True)
    dask = Bool(False, help="Execute on Dask: a LocalCluster of `jobs` workers, or the cluster at `scheduler`.").tag(config=True)
    scheduler = Unicode("", help="Address of an existing Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies dask).").tag(config=True)
    summaries = Bool(True, help="Write grades/*.csv and the report after grading (the hub's grading service turns this "
                     "off per submission and writes them when its queue is empty).").tag(config=True)


def unauthenticated(address: str) -> bool:
    """A plain ``tcp://`` scheduler address that is not this machine's loopback (anyone there may run code)."""
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    return parts.scheme == "tcp" and parts.hostname not in ("127.0.0.1", "localhost", "::1")


class Executions:
    """Executions of notebooks, ``jobs`` at a time, on local threads (each waits for its sandbox) or on Dask."""

    def __init__(self, settings: ClassGrading, say):
        self.client, self.cluster = None, None
        self.jobs = settings.jobs or os.cpu_count() or 1
        if settings.dask or settings.scheduler:
            from distributed import Client, LocalCluster

            if settings.scheduler:
                if unauthenticated(settings.scheduler):
                    say(f"경고: Dask 스케줄러 {settings.scheduler}에는 암호화·인증이 없습니다. 그 네트워크의 누구나 워커에서 root "
                        "권한으로 코드를 실행할 수 있습니다. 한 컴퓨터라면 127.0.0.1, 여러 컴퓨터라면 tls:// 주소와 인증서를 쓰세요"
                        "(README, 채점 규모 키우기).")
                self.client = Client(settings.scheduler, timeout="30s")  # TLS: certificates from Dask's config
                say(f"Dask: {settings.scheduler}의 워커 {len(self.client.scheduler_info()['workers'])}개로 실행합니다.")
            else:
                self.cluster = LocalCluster(n_workers=self.jobs, threads_per_worker=1, processes=True,
                                            dashboard_address=None, silence_logs=40)
                self.client = Client(self.cluster)
                say(f"Dask LocalCluster: 워커 {self.jobs}개로 실행합니다.")
        else:
            from concurrent.futures import ThreadPoolExecutor

            self.pool = ThreadPoolExecutor(self.jobs, thread_name_prefix="sandbox")

    def submit(self, function, *args, key: str):
        if self.client is not None:
            return self.client.submit(function, *args, key=f"{key}-{time.time_ns()}", pure=False)
        return self.pool.submit(function, *args)

    def as_completed(self, futures):
        if self.client is not None:
            from distributed import as_completed

            return as_completed(futures)
        from concurrent.futures import as_completed

        return as_completed(futures)

    @staticmethod
    def answer(future) -> dict:
        """The execution's answer; a task that could not finish (its workers kept dying, …) as a failure. A place that
        cannot sandbox (a Dask worker without ``bwrap`` or root, every sandbox uid busy) is the instructor's to fix,
        not the learner's doing: :class:`SandboxUnavailable` goes up and stops the run."""
        from hongong.grading.sandbox import SandboxUnavailable

        try:
            return future.result()
        except SandboxUnavailable:
            raise
        except Exception as error:  # distributed's KilledWorker, …
            if type(error).__name__ == "KilledWorker":
                return {"status": "worker-lost", "message": "이 제출물을 실행하던 워커가 여러 번 죽어 실행을 포기했습니다."}
            return {"status": "execution-failed", "message": f"실행을 맡은 곳에서 오류가 났습니다: {type(error).__name__}: {error}"[:500]}

    def close(self):
        if self.client is not None:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()
        else:
            self.pool.shutdown(wait=True)
