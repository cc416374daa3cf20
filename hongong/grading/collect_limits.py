"""Unpack the LMS's download archives for ``nbgrader zip_collect`` within limits, or refuse them.

Run by the instructor's ``nbgrader zip_collect ASSIGNMENT`` (``make collect``), configured in
nbgrader_config.py as ``c.ZipCollectApp.extractor_plugin = LimitedExtractor``. nbgrader's own extractor
unpacks every archive in ``downloaded/<assignment>/archive/`` and every archive found inside, to any
depth and size: a 635-byte archive of nested zips became 2.1 GB in 16 s. This one does the same job
(same folders: ``extracted/<archive name>/…``, archives inside unpacked next to themselves) with limits
per archive of the archive folder, counted over everything unpacked from it, archives inside included:

- ``max_bytes``: bytes written (the archives inside count too, as on disk); ``max_files``: entries;
- ``max_depth``: 1 is the downloaded archive itself, 2 the archives inside it, and so on;
- members with an absolute path or ``..`` (zip slip), symbolic links, hard links and device files.

Each archive's headers are checked before it is unpacked (the archives inside when they are reached, against
what is left of the budget), and the bytes are counted as they are written, whatever the headers said: a
member is read until its data really ends and unpacking stops at the limit. An archive that breaks a limit
(or is damaged) is refused with one log line naming it and the limit, nothing of it is left in extracted/
(it is unpacked into a hidden staging folder, moved into place only when complete), and the other
archives are unpacked and collected as usual. File modes stored in an archive are not applied.

No compression-ratio guard: the counted total already bounds what a member can cost, and a ratio guard
would refuse a whole class's download for one learner's notebook with a long repetitive output.
"""

from __future__ import annotations

import bz2
import copy
import gzip
import lzma
import os
import re
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib

from nbgrader.plugins import ExtractorPlugin
from traitlets import Int

CHUNK = 1 << 20  # bytes read and written at a time
TAR_HEADER_ALLOWANCE = 4096  # bytes of a tar stream per entry beyond its data: header, long name, padding


class ArchiveRefused(Exception):
    """An archive broke a limit or cannot be unpacked safely: ``korean`` and ``english`` say why."""

    def __init__(self, korean: str, english: str):
        super().__init__(english)
        self.korean, self.english = korean, english


# What a damaged or unsupported archive raises while it is read (bad headers, bad CRC, truncated
# streams, encrypted or unknown compression, undecodable names) and what writing it can raise.
UNREADABLE = (zipfile.BadZipFile, tarfile.TarError, zlib.error, lzma.LZMAError, EOFError, OSError,
              ValueError, RuntimeError, NotImplementedError)


def _count(n: int) -> str:
    return f"{n:,}"


def _stem(filename: str) -> str:
    """The folder an archive is unpacked into, as nbgrader names it: ``a.zip`` -> ``a``, ``a.tar.gz`` -> ``a``."""
    stem = os.path.splitext(filename)[0]
    base, ext = os.path.splitext(stem)
    return base if ext == ".tar" else stem


def _decompressed(path: str):
    """``path`` opened for reading, decompressed if it is gzip, bzip2 or xz (as tarfile's "r:*" would)."""
    with open(path, "rb") as file:
        magic = file.read(6)
    if magic.startswith(b"\x1f\x8b"):
        return gzip.open(path, "rb")
    if magic.startswith(b"BZh"):
        return bz2.open(path, "rb")
    if magic.startswith(b"\xfd7zXZ\x00"):
        return lzma.open(path, "rb")
    return open(path, "rb")


def _kind(path: str) -> str | None:
    """"zip", "tar" (compressed or not) or None for anything else.

    Not tarfile.is_tarfile: its first header may declare a long name or pax header of any size, read
    into memory whole. Here only the first 512-byte block is read and parsed.
    """
    if zipfile.is_zipfile(path):
        return "zip"
    try:
        with _decompressed(path) as stream:
            tarfile.TarInfo.frombuf(stream.read(tarfile.BLOCKSIZE), tarfile.ENCODING, "surrogateescape")
        return "tar"
    except UNREADABLE:  # tarfile.HeaderError among them
        return None


class _Capped:
    """A decompressed tar stream that cannot be read or skipped past ``cap`` bytes.

    tarfile reads a long name or pax header whole, whatever size its header declares, before the member
    it belongs to is seen; so the stream itself is bounded: by the bytes and entries the budget has left.
    """

    def __init__(self, stream, cap: int, where: tuple[str, str], budget: "_Budget"):
        self.stream, self.cap, self.where, self.budget = stream, cap, where, budget

    def _refuse(self) -> ArchiveRefused:
        limits = (f"LimitedExtractor.max_bytes = {_count(self.budget.max_bytes)}, "
                  f"LimitedExtractor.max_files = {_count(self.budget.max_files)}")
        return ArchiveRefused(f"{self.where[0]}tar 스트림이 한도({limits})로 허용되는 {_count(self.cap)} 바이트보다 깁니다",
                              f"{self.where[1]}its tar stream runs past the {_count(self.cap)} bytes the limits "
                              f"({limits}) allow")

    def read(self, size: int = -1) -> bytes:
        left = self.cap + 1 - self.stream.tell()
        data = self.stream.read(left if size is None or size < 0 else min(size, left))
        if self.stream.tell() > self.cap:
            raise self._refuse()
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        target = {os.SEEK_SET: 0, os.SEEK_CUR: self.stream.tell()}.get(whence)
        if target is None or target + offset > self.cap:  # SEEK_END would read a compressed stream to its end
            raise self._refuse()
        return self.stream.seek(target + offset)

    def tell(self) -> int:
        return self.stream.tell()


def _safe_parts(name: str, where: tuple[str, str]) -> list[str]:
    """The path components of a member name; ArchiveRefused when it leads outside the archive's folder."""
    unified = name.replace("\\", "/")
    parts = [part for part in unified.split("/") if part not in ("", ".")]
    if "\x00" in name or unified.startswith("/") or re.match(r"[A-Za-z]:", unified) or ".." in parts:
        raise ArchiveRefused(
            f"{where[0]}'{name}' 항목이 압축을 푸는 폴더 밖을 가리킵니다(절대 경로 또는 '..')",
            f"{where[1]}member '{name}' points outside the folder it is unpacked into (absolute path or '..')")
    return [part for part in name.split("/") if part not in ("", ".")]  # written as before: '/' separates


class _Budget:
    """What one top-level archive has used so far (bytes written, entries) against the limits.

    ``where`` in the checks is the (Korean, English) prefix naming a nested archive, empty for the top one.
    """

    def __init__(self, extractor: "LimitedExtractor"):
        self.max_bytes, self.max_files = extractor.max_bytes, extractor.max_files
        self.bytes = 0
        self.entries = 0

    def check_headers(self, where: tuple[str, str], entries: int, declared: int) -> None:
        """Refuse an archive whose headers list more than what is left of the budget."""
        if self.entries + entries > self.max_files:
            raise ArchiveRefused(
                f"{where[0]}항목이 {_count(self.entries + entries)}개 이상이어서 한도"
                f"(LimitedExtractor.max_files = {_count(self.max_files)})를 넘습니다(헤더 기준)",
                f"{where[1]}holds {_count(self.entries + entries)} or more entries, over the limit "
                f"LimitedExtractor.max_files = {_count(self.max_files)} (from its headers)")
        if self.bytes + declared > self.max_bytes:
            raise ArchiveRefused(
                f"{where[0]}풀면 {_count(self.bytes + declared)} 바이트 이상이 되어 한도"
                f"(LimitedExtractor.max_bytes = {_count(self.max_bytes)} 바이트)를 넘습니다(헤더 기준)",
                f"{where[1]}expands to {_count(self.bytes + declared)} bytes or more, over the limit "
                f"LimitedExtractor.max_bytes = {_count(self.max_bytes)} bytes (from its headers)")

    def add_bytes(self, where: tuple[str, str], member: str, n: int, declared: int) -> None:
        """Count ``n`` bytes of ``member`` as written; refuse once the total passes the limit."""
        self.bytes += n
        if self.bytes > self.max_bytes:
            raise ArchiveRefused(
                f"{where[0]}'{member}' 항목을 푸는 중에 한도(LimitedExtractor.max_bytes = {_count(self.max_bytes)} "
                f"바이트)에 닿아 멈췄습니다(헤더에 적힌 이 항목의 크기: {_count(declared)} 바이트)",
                f"{where[1]}stopped while unpacking '{member}' at the limit LimitedExtractor.max_bytes = "
                f"{_count(self.max_bytes)} bytes (its header declares {_count(declared)} bytes)")


class LimitedExtractor(ExtractorPlugin):
    """nbgrader's extractor with limits per archive of the archive folder (see the module docstring)."""

    max_bytes = Int(500 * 10**6, min=1, help=(
        "Bytes that unpacking one archive of the archive folder may write, archives inside it and their "
        "contents included; counted as they are written (headers can lie).")).tag(config=True)
    max_files = Int(10_000, min=1, help=(
        "Entries (files and folders) that one archive of the archive folder may hold, archives inside "
        "it included.")).tag(config=True)
    max_depth = Int(2, min=1, help=(
        "How deep archives are unpacked: 1 the archive of the archive folder only (an archive inside it "
        "is refused), 2 the archives inside it too, ...")).tag(config=True)

    def extract(self, archive_path: str, extracted_path: str) -> None:
        """As :meth:`ExtractorPlugin.extract`: archives unpacked (within limits), other files copied."""
        if not os.listdir(archive_path):
            self.log.warning("No files found in directory: %s", archive_path)
            return
        for root, _, archive_files in os.walk(archive_path):
            if not archive_files:
                continue
            extract_to = os.path.normpath(os.path.join(extracted_path, os.path.relpath(root, archive_path)))
            os.makedirs(extract_to, exist_ok=True)
            for name in sorted(archive_files):
                path = os.path.join(root, name)
                if os.path.splitext(name)[1] in self.zip_ext:
                    self.log.info("Extracting from: %s", path)
                    self.log.info("  Extracting to: %s", os.path.join(extract_to, _stem(name)))
                    self.extract_one(path, extract_to)
                else:
                    dest = os.path.join(extract_to, name)
                    self.log.info("Copying from: %s", path)
                    self.log.info("  Copying to: %s", dest)
                    shutil.copy(path, dest)

    def extract_one(self, path: str, extract_to: str) -> bool:
        """Unpack the archive ``path`` into ``extract_to/<its name>``, all of it or (refused, logged) nothing."""
        folder = os.path.join(extract_to, _stem(os.path.basename(path)))
        staging = tempfile.mkdtemp(prefix=f".{_stem(os.path.basename(path))}.", suffix=".partial", dir=extract_to)
        try:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(staging, 0o777 & ~umask)  # as os.makedirs would have made it
            try:
                self._unpack(path, staging, 1, _Budget(self), staging)
            except ArchiveRefused as refusal:
                self._refuse(path, refusal.korean, refusal.english)
                return False
            except UNREADABLE as error:
                self._refuse(path, f"손상되었거나 읽을 수 없습니다({type(error).__name__}: {error})",
                             f"it is damaged or cannot be read ({type(error).__name__}: {error})")
                return False
            if not os.path.exists(folder):
                os.rename(staging, folder)
            else:  # two archives with one name (a.zip, a.tar.gz): merged, as nbgrader does
                shutil.copytree(staging, folder, dirs_exist_ok=True)
            return True
        finally:
            if os.path.exists(staging):
                shutil.rmtree(staging)

    def _refuse(self, path: str, korean: str, english: str) -> None:
        self.log.error("압축 파일을 풀지 않았습니다(이 파일에서는 아무것도 수집하지 않음): %s: %s. / "
                       "Refused archive (nothing of it is collected) %s: %s.", path, korean, path, english)

    def _unpack(self, path: str, dest: str, depth: int, budget: _Budget, top: str) -> None:
        """Check ``path``'s headers against the budget, unpack it into ``dest``, then the archives it held."""
        name = os.path.relpath(path, top)
        where = ("", "") if depth == 1 else (f"안쪽 압축 파일 '{name}': ", f"nested archive '{name}' ")
        kind = _kind(path)
        if kind is None:
            raise ArchiveRefused(f"{where[0]}zip도 tar도 아닙니다", f"{where[1]}is neither a zip nor a tar archive")
        os.makedirs(dest, exist_ok=True)
        unpack = self._unpack_zip if kind == "zip" else self._unpack_tar
        for target in unpack(path, dest, budget, where):  # then the archives it held, next to themselves
            if os.path.splitext(target)[1] not in self.zip_ext or _kind(target) is None:
                continue  # e.g. a plain data.csv.gz: left as it is
            if depth + 1 > self.max_depth:
                inner = os.path.relpath(target, top)
                raise ArchiveRefused(
                    f"안쪽 압축 파일 '{inner}'의 깊이가 {depth + 1}단계여서 한도"
                    f"(LimitedExtractor.max_depth = {self.max_depth})를 넘습니다",
                    f"nested archive '{inner}' is at depth {depth + 1}, over the limit "
                    f"LimitedExtractor.max_depth = {self.max_depth}")
            self._unpack(target, os.path.join(os.path.dirname(target), _stem(os.path.basename(target))),
                         depth + 1, budget, top)

    @staticmethod
    def _write(source, target: str, budget: _Budget, where: tuple[str, str], member: str, declared: int) -> None:
        """Copy ``source`` to the file ``target``, counting every byte against the budget as it is written."""
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o666)
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(CHUNK):
                budget.add_bytes(where, member, len(chunk), declared)
                out.write(chunk)

    def _place(self, dest: str, name: str, is_dir: bool, open_member, declared: int, budget: _Budget,
               where: tuple[str, str], written: list[str]) -> None:
        """One member under ``dest``: a folder, or a file (``open_member()``) counted against the budget."""
        parts = _safe_parts(name, where)
        if not parts:
            return
        target = os.path.join(dest, *parts)
        if is_dir:
            os.makedirs(target, exist_ok=True)
            return
        with open_member() as source:
            self._write(source, target, budget, where, name, declared)
        written.append(target)

    def _unpack_zip(self, path: str, dest: str, budget: _Budget, where: tuple[str, str]) -> list[str]:
        """Unpack a zip archive into ``dest``; return the files written."""
        written = []
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            for info in members:
                _safe_parts(info.filename, where)
                if stat.S_ISLNK(info.external_attr >> 16):
                    raise ArchiveRefused(f"{where[0]}'{info.filename}' 항목은 심볼릭 링크입니다",
                                         f"{where[1]}member '{info.filename}' is a symbolic link")
            budget.check_headers(where, len(members), sum(info.file_size for info in members))
            budget.entries += len(members)
            for info in members:
                # Read until the data really ends, not only as far as the header says (zipfile would stop
                # there and fail the CRC): every byte is counted, so the budget stops a member whose header lies.
                unbounded = copy.copy(info)
                unbounded.file_size = 2**63
                self._place(dest, info.filename, info.is_dir(), lambda unbounded=unbounded: archive.open(unbounded),
                            info.file_size, budget, where, written)
        return written

    def _unpack_tar(self, path: str, dest: str, budget: _Budget, where: tuple[str, str]) -> list[str]:
        """Unpack a tar archive (compressed or not) into ``dest``; return the files written."""
        written = []
        cap = (budget.max_bytes - budget.bytes) + TAR_HEADER_ALLOWANCE * (budget.max_files - budget.entries + 1)
        with _decompressed(path) as stream, tarfile.open(fileobj=_Capped(stream, cap, where, budget), mode="r:") as archive:
            entries = declared = 0
            for member in archive:  # header by header: a compressed tar is read no further than the first limit
                entries += 1
                _safe_parts(member.name, where)
                if not (member.isreg() or member.isdir()):
                    raise ArchiveRefused(f"{where[0]}'{member.name}' 항목은 링크나 특수 파일입니다",
                                         f"{where[1]}member '{member.name}' is a link or a special file")
                try:  # the standard library's rules for an archive from outside (PEP 706), after ours
                    tarfile.data_filter(member, dest)
                except tarfile.FilterError as error:
                    raise ArchiveRefused(f"{where[0]}'{member.name}' 항목을 받을 수 없습니다({type(error).__name__})",
                                         f"{where[1]}member '{member.name}' refused by tarfile.data_filter: {error}")
                declared += member.size if member.isreg() else 0
                budget.check_headers(where, entries, declared)
            budget.entries += entries
            for member in archive.getmembers():
                self._place(dest, member.name, member.isdir(), lambda member=member: archive.extractfile(member),
                            member.size, budget, where, written)
        return written
