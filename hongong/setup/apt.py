"""Install Debian packages the course needs (the dataset, a Korean font), when this is possible.

Only as root and only where apt-get exists; otherwise say why not, so the caller can tell the user
what to run. ``python -m hongong system-packages PACKAGE…`` installs the missing ones.
"""

from __future__ import annotations

import os
import shutil
import subprocess


def missing(packages: list[str]) -> list[str]:
    """The packages of ``packages`` that dpkg does not list as installed."""
    if not shutil.which("dpkg-query"):
        return list(packages)
    absent = []
    for package in packages:
        result = subprocess.run(
            ["dpkg-query", "-W", "-f=${db:Status-Status}", package], capture_output=True, text=True
        )
        if result.stdout.strip() != "installed":
            absent.append(package)
    return absent


def install(packages: list[str]) -> str | None:
    """Install the missing ones of ``packages``. Returns None on success, else a one-line reason."""
    todo = missing(packages)
    if not todo:
        return None
    if not shutil.which("apt-get"):
        return "apt-get is not available on this system"
    if os.geteuid() != 0:
        return f"not running as root (run as root: apt-get install {' '.join(todo)})"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *todo]):
        result = subprocess.run(command, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
            return f"`{' '.join(command)}` failed: {lines[-1] if lines else f'exit status {result.returncode}'}"
    return None

