"""The data step: the order of the sources, the integrity check, the clear error.

Each test works in temporary folders with small stand-in files and its own table of expected sizes
and checksums; apt and the download are replaced by functions the test controls, so nothing here
touches the network or the system. The last tests check the real cache that `make` prepared.
"""

import gzip
import hashlib

import pytest

from conftest import ROOT
from hongong.setup import apt, data
from hongong.setup.data import DataUnavailable, cache_dir, ensure_fashion_mnist, problems_in

CONTENT = {name: f"stand-in for {name}\n".encode() * (index + 3) for index, name in enumerate(data.FILES)}
EXPECTED = {name: (len(content), hashlib.md5(content).hexdigest()) for name, content in CONTENT.items()}


def write_files(folder, names=CONTENT):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        with gzip.open(folder / name, "wb") as stream:
            stream.write(CONTENT[name])


def must_not_run(*args):
    raise AssertionError("this step must not run")


@pytest.fixture
def dirs(tmp_path):
    """A Keras home with an empty cache and an empty stand-in for /usr/share/datasets/fashion-mnist."""
    return tmp_path / "keras-home", tmp_path / "usr-share-datasets-fashion-mnist"


def ensure(keras_home, system_dir, install=must_not_run, download=must_not_run):
    return ensure_fashion_mnist(
        keras_home, system_dir=system_dir, install_package=install, download=download, expected=EXPECTED
    )


def test_intact_cache_is_used_and_nothing_else_runs(dirs):
    keras_home, system_dir = dirs
    write_files(cache_dir(keras_home))
    assert ensure(keras_home, system_dir) == "already in the cache"


def test_debian_files_are_copied_into_keras_cache_when_cache_is_empty(dirs):
    keras_home, system_dir = dirs
    write_files(system_dir)
    assert "copied from" in ensure(keras_home, system_dir)
    assert problems_in(cache_dir(keras_home), EXPECTED) == []
    assert sorted(p.name for p in cache_dir(keras_home).iterdir()) == sorted(data.FILES)


def test_apt_install_comes_before_download_and_its_files_are_copied(dirs):
    keras_home, system_dir = dirs
    calls = []

    def install():
        calls.append("apt")
        write_files(system_dir)

    assert "installed Debian's dataset-fashion-mnist now" in ensure(keras_home, system_dir, install=install)
    assert calls == ["apt"]
    assert problems_in(cache_dir(keras_home), EXPECTED) == []


def test_keras_download_is_tried_last_when_apt_cannot_run(dirs):
    keras_home, system_dir = dirs
    calls = []

    def install():
        calls.append("apt")
        return "not running as root"

    def download(home):
        calls.append("download")
        assert home == keras_home
        write_files(cache_dir(home))

    assert ensure(keras_home, system_dir, install=install, download=download) == "downloaded by Keras"
    assert calls == ["apt", "download"]


def test_truncated_file_in_cache_is_replaced_from_debian_package(dirs):
    keras_home, system_dir = dirs
    write_files(cache_dir(keras_home))
    write_files(system_dir)
    damaged = cache_dir(keras_home) / "train-images-idx3-ubyte.gz"
    damaged.write_bytes(damaged.read_bytes()[:-12])
    assert "copied from" in ensure(keras_home, system_dir)
    assert problems_in(cache_dir(keras_home), EXPECTED) == []


def test_damaged_files_are_removed_before_keras_downloads(dirs):
    """Keras keeps a file that is already in its cache, so a damaged one would never be replaced."""
    keras_home, system_dir = dirs
    write_files(cache_dir(keras_home))
    damaged = cache_dir(keras_home) / "t10k-labels-idx1-ubyte.gz"
    damaged.write_bytes(b"not gzip at all")

    def download(home):
        assert not damaged.exists()
        write_files(cache_dir(home), names=["t10k-labels-idx1-ubyte.gz"])

    assert ensure(keras_home, system_dir, install=lambda: "no apt", download=download) == "downloaded by Keras"


def test_when_every_source_fails_the_error_names_each_step_and_what_to_do(dirs):
    keras_home, system_dir = dirs
    with pytest.raises(DataUnavailable) as raised:
        ensure(keras_home, system_dir, install=lambda: "not running as root", download=lambda home: "could not resolve host")
    message = str(raised.value)
    steps = ["1. Keras's cache", f"2. {system_dir}", "3. apt-get install dataset-fashion-mnist: not running as root",
             "4. Keras's download: could not resolve host"]
    positions = [message.index(step) for step in steps]
    assert positions == sorted(positions)
    assert "train-images-idx3-ubyte.gz: missing" in message
    assert "apt-get update && apt-get install dataset-fashion-mnist" in message
    assert "make data" in message


def test_a_download_that_leaves_a_truncated_file_is_not_accepted(dirs):
    keras_home, system_dir = dirs

    def download(home):
        write_files(cache_dir(home))
        path = cache_dir(home) / "train-labels-idx1-ubyte.gz"
        path.write_bytes(path.read_bytes()[:20])

    with pytest.raises(DataUnavailable, match="train-labels-idx1-ubyte.gz: not a complete gzip file"):
        ensure(keras_home, system_dir, install=lambda: "no apt", download=download)


def test_integrity_check_names_missing_truncated_resized_and_altered_files(tmp_path):
    write_files(tmp_path)
    names = list(data.FILES)
    (tmp_path / names[0]).unlink()
    (tmp_path / names[1]).write_bytes((tmp_path / names[1]).read_bytes()[:15])
    with gzip.open(tmp_path / names[2], "wb") as stream:
        stream.write(CONTENT[names[2]][:-1])
    with gzip.open(tmp_path / names[3], "wb") as stream:
        stream.write(CONTENT[names[3]].upper())
    missing, truncated, resized, altered = problems_in(tmp_path, EXPECTED)
    assert missing == f"{names[0]}: missing"
    assert truncated.startswith(f"{names[1]}: not a complete gzip file")
    size = EXPECTED[names[2]][0]
    assert resized == f"{names[2]}: {size - 1:,} bytes once decompressed, expected {size:,} (truncated or wrong file)"
    assert altered == (
        f"{names[3]}: checksum {hashlib.md5(CONTENT[names[3]].upper()).hexdigest()} differs from the expected "
        f"{EXPECTED[names[3]][1]} (damaged or wrong file)"
    )


def test_apt_step_explains_why_it_cannot_run_as_a_normal_user(monkeypatch):
    monkeypatch.setattr(apt, "missing", lambda packages: list(packages))
    monkeypatch.setattr(apt.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(apt.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(apt.subprocess, "run", must_not_run)
    assert apt.install(["dataset-fashion-mnist"]) == "not running as root (run as root: apt-get install dataset-fashion-mnist)"


def test_apt_step_does_nothing_when_the_packages_are_installed(monkeypatch):
    monkeypatch.setattr(apt, "missing", lambda packages: [])
    monkeypatch.setattr(apt.subprocess, "run", must_not_run)
    assert apt.install(["fonts-nanum"]) is None


def test_prepared_cache_holds_the_real_fashion_mnist():
    """`make setup` ran before the tests: the cache that the book reads is complete and intact."""
    assert problems_in(cache_dir(data.default_keras_home())) == []


def test_without_keras_home_the_cache_is_the_repositorys_own(monkeypatch):
    monkeypatch.delenv("KERAS_HOME", raising=False)
    assert data.default_keras_home() == ROOT / ".keras"


def test_keras_load_data_reads_the_prepared_cache_offline():
    import keras

    (train_input, train_target), (test_input, test_target) = keras.datasets.fashion_mnist.load_data()
    assert train_input.shape == (60_000, 28, 28) and test_input.shape == (10_000, 28, 28)
    assert train_target[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert (train_target == 0).sum() == 6_000 and len(set(test_target.tolist())) == 10
