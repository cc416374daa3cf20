"""Fashion-MNIST in Keras's own cache, offline.

The chapters load the data exactly as the textbook does, with
``keras.datasets.fashion_mnist.load_data()``. That call reads four ``.gz`` files from
``$KERAS_HOME/datasets/fashion-mnist/`` and downloads the missing ones. Where the download
host cannot be reached, :func:`ensure_fashion_mnist` fills that folder first, trying in order:

1. the cache already holds the four files, intact: nothing to do;
2. Debian's ``dataset-fashion-mnist`` package, installed under ``/usr/share/datasets/fashion-mnist/``:
   copy its files;
3. running as root with apt: ``apt-get install dataset-fashion-mnist``, then 2;
4. let Keras download the files itself;
5. otherwise raise :class:`DataUnavailable`, naming every step tried and what to do.

Keras does not check the files, so a truncated one would fail much later, inside training. Every
step therefore ends with :func:`problems_in`, which checks the size and MD5 of each file's
*decompressed* content (Debian's gzip headers differ from the ones Keras downloads; the content is
the same).

Run ``python -m hongong data`` to prepare the cache (``make data`` does).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path

from hongong.setup import apt

#: Keras's file names, with the size in bytes and the MD5 of each file's decompressed content.
FILES: Mapping[str, tuple[int, str]] = {
    "train-labels-idx1-ubyte.gz": (60_008, "9018921c3c673c538a1fc5bad174d6f9"),
    "train-images-idx3-ubyte.gz": (47_040_016, "f4a8712d7a061bf5bd6d2ca38dc4d50a"),
    "t10k-labels-idx1-ubyte.gz": (10_008, "15d484375f8d13e6eb1aabb0c3f46965"),
    "t10k-images-idx3-ubyte.gz": (7_840_016, "8181f5470baa50b63fa0f6fddb340f0a"),
}

#: Where Debian's ``dataset-fashion-mnist`` package puts the same four files.
SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
DEBIAN_PACKAGE = "dataset-fashion-mnist"

#: Korean names of the ten classes, in label order (0 = T-shirt/top … 9 = Ankle boot).
CLASS_NAMES = ("티셔츠", "바지", "스웨터", "드레스", "코트", "샌들", "셔츠", "스니커즈", "가방", "앵클 부츠")


class DataUnavailable(RuntimeError):
    """Fashion-MNIST could not be put in Keras's cache; the message says what was tried."""


# The checkout this package lives in (it is installed in editable mode from there): hongong/setup/data.py → root.
REPOSITORY = Path(__file__).resolve().parents[2]


def default_keras_home() -> Path:
    """``$KERAS_HOME`` if set, else the repository's own ``.keras/`` folder."""
    if os.environ.get("KERAS_HOME"):
        return Path(os.environ["KERAS_HOME"])
    return REPOSITORY / ".keras"


def cache_dir(keras_home: Path) -> Path:
    """The folder ``keras.datasets.fashion_mnist.load_data()`` reads."""
    return Path(keras_home) / "datasets" / "fashion-mnist"


def problems_in(folder: Path, expected: Mapping[str, tuple[int, str]] = FILES) -> list[str]:
    """What is wrong with the files in ``folder``: one line per missing or damaged file, [] if all is well."""
    problems = (_problem(Path(folder) / name, *size_and_md5) for name, size_and_md5 in expected.items())
    return [problem for problem in problems if problem]


def _problem(path: Path, size: int, md5: str) -> str | None:
    if not path.is_file():
        return f"{path.name}: missing"
    try:
        got_size, got_md5 = _decompressed_size_and_md5(path)
    except (OSError, EOFError, zlib.error) as error:
        return f"{path.name}: not a complete gzip file ({error})"
    if got_size != size:
        return f"{path.name}: {got_size:,} bytes once decompressed, expected {size:,} (truncated or wrong file)"
    if got_md5 != md5:
        return f"{path.name}: checksum {got_md5} differs from the expected {md5} (damaged or wrong file)"
    return None


def _decompressed_size_and_md5(path: Path) -> tuple[int, str]:
    digest, size = hashlib.md5(), 0
    with gzip.open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def install_debian_package() -> str | None:
    """Install ``dataset-fashion-mnist`` with apt. Returns None on success, else why it was not done."""
    return apt.install([DEBIAN_PACKAGE])


def download_with_keras(keras_home: Path) -> str | None:
    """Let Keras download the files into ``keras_home``. Returns None on success, else the reason it failed.

    Runs in a child process, because Keras reads ``KERAS_HOME`` once, when it is first imported.
    """
    env = dict(os.environ, KERAS_HOME=str(keras_home), TF_CPP_MIN_LOG_LEVEL="3")
    code = "import keras; keras.datasets.fashion_mnist.load_data()"
    try:
        result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        return "the download did not finish within 15 minutes"
    if result.returncode == 0:
        return None
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    return lines[-1] if lines else f"exit status {result.returncode}"


def ensure_fashion_mnist(
    keras_home: Path | None = None,
    *,
    system_dir: Path = SYSTEM_DIR,
    install_package: Callable[[], str | None] = install_debian_package,
    download: Callable[[Path], str | None] = download_with_keras,
    expected: Mapping[str, tuple[int, str]] = FILES,
) -> str:
    """Make ``keras.datasets.fashion_mnist.load_data()`` work offline; return where the files came from.

    ``install_package`` and ``download`` return None on success or a short reason; the tests pass
    their own so that no step touches apt or the network.
    """
    keras_home = Path(keras_home) if keras_home is not None else default_keras_home()
    target = cache_dir(keras_home)
    tried = []

    # 1. Keras's cache.
    problems = problems_in(target, expected)
    if not problems:
        return "already in the cache"
    tried.append(f"Keras's cache {target}: " + "; ".join(problems))

    # 2. Debian's package, already installed; 3. installed now.
    def copy_from_system() -> str | None:
        found = problems_in(system_dir, expected)
        if found:
            return f"{system_dir}: " + "; ".join(found)
        target.mkdir(parents=True, exist_ok=True)
        for name in expected:
            shutil.copyfile(Path(system_dir) / name, target / name)
        copied = problems_in(target, expected)
        return f"copied from {system_dir} to {target}, but: " + "; ".join(copied) if copied else None

    failure = copy_from_system()
    if failure is None:
        return f"copied from {system_dir} (Debian's {DEBIAN_PACKAGE})"
    tried.append(failure)

    failure = install_package()
    if failure is None:
        failure = copy_from_system()
        if failure is None:
            return f"installed Debian's {DEBIAN_PACKAGE} now and copied from {system_dir}"
        tried.append(f"apt-get install {DEBIAN_PACKAGE} succeeded, but {failure}")
    else:
        tried.append(f"apt-get install {DEBIAN_PACKAGE}: {failure}")

    # 4. Keras's own download. Keras keeps any file already there, so remove the damaged ones first.
    target.mkdir(parents=True, exist_ok=True)
    for name, size_and_md5 in expected.items():
        if _problem(target / name, *size_and_md5):
            (target / name).unlink(missing_ok=True)
    failure = download(keras_home)
    if failure is None:
        failure = "; ".join(problems_in(target, expected)) or None
        if failure is None:
            return "downloaded by Keras"
    tried.append(f"Keras's download: {failure}")

    # 5. Nothing worked.
    raise DataUnavailable(
        "Fashion-MNIST could not be prepared for keras.datasets.fashion_mnist.load_data().\n"
        "Tried, in order:\n"
        + "".join(f"  {number}. {step}\n" for number, step in enumerate(tried, 1))
        + "What you can do, any one of:\n"
        f"  - install Debian's package as root: apt-get update && apt-get install {DEBIAN_PACKAGE}\n"
        f"  - copy the four files ({', '.join(expected)}) into {target}\n"
        "  - connect to the internet once so that Keras can download them\n"
        "then run `make data` again."
    )

