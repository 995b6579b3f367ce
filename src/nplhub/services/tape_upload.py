"""A tape received as an upload (the REST API's `POST /api/tapes/validate|import`): checked, unpacked
into a private temporary folder, validated or imported by the data hub's use cases, and removed.

Accepted: one `.xlsx` workbook, one flat `.csv` or `.parquet` loan list, or a `.zip` of a folder of
CSV or Parquet files with its `tape.yaml` (the files at the top of the archive, or in one folder
at its top). Anything else is refused before it is read, with an issue in the shape of the
validator's (`TapeIssue`: table, row, column, value, code, message, severity):

- a file larger than `max_bytes` (UPLOAD_TOO_LARGE), or of another type (UNSUPPORTED_UPLOAD);
- an archive that cannot be read or is encrypted (BAD_ARCHIVE), with more than `max_files`
  entries (ARCHIVE_TOO_MANY_FILES: counted from its end record before its directory is parsed),
  more than `max_unpacked_bytes` once unpacked (ARCHIVE_TOO_LARGE: a zip bomb, judged from the
  sizes its directory declares, which Python's zipfile never reads past, and counted again as the
  bytes are written), an absolute path, a drive or `..` (UNSAFE_ARCHIVE_PATH), a symbolic link or
  other special file (ARCHIVE_LINK), a file that is not .csv, .parquet, .yaml or .yml
  (ARCHIVE_FILE_TYPE), a file in a sub-folder (ARCHIVE_NESTED_FOLDER), a name given twice
  (ARCHIVE_DUPLICATE_ENTRY), or no table at all (EMPTY_ARCHIVE). macOS's `__MACOSX/` and
  `.DS_Store` entries are skipped. Every check is made before the first byte is unpacked, so a
  refused archive writes nothing; what was unpacked is written only inside the private folder.

A workbook is itself a zip: the entry and size caps hold for its parts too. The private folder
(`tempfile.mkdtemp`, mode 0700, under TMPDIR) is removed when the use case ends, whatever happens.
"""

from __future__ import annotations

import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from nplhub.datahub.issues import TapeIssue, error
from nplhub.datahub.validate import ValidatedTape
from nplhub.services.datahub import ImportResult, Progress, check_tape, import_tape
from nplhub.services.ports import AbstractUnitOfWork

SINGLE_FILES = (".xlsx", ".csv", ".parquet")
ARCHIVES = (".zip",)
IN_ARCHIVE = (".csv", ".parquet", ".yaml", ".yml")
TABLE_FILES = (".csv", ".parquet")
SKIPPED = ("__MACOSX/",)
CHUNK = 1 << 20
_EOCD = b"PK\x05\x06"
_UTF8_NAME = 0x800      # general-purpose flag bit 11: the entry's name is UTF-8
_ENCRYPTED = 0x1


class UploadProblem(StrEnum):
    TOO_LARGE = "too_large"          # HTTP 413
    UNSUPPORTED = "unsupported"      # HTTP 415
    INVALID = "invalid"              # HTTP 422


class UploadRejected(Exception):
    """The upload was refused before the tape was read: nothing was written."""

    def __init__(self, problem: UploadProblem, issue: TapeIssue) -> None:
        self.problem = problem
        self.issues = [issue]
        super().__init__(issue.message)


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int
    max_unpacked_bytes: int
    max_files: int

    @classmethod
    def from_settings(cls, settings: Any) -> UploadLimits:
        return cls(settings.tape_upload_max_bytes, settings.tape_unpacked_max_bytes, settings.tape_archive_max_files)


@dataclass(frozen=True)
class ReceivedTape:
    path: Path      # what the reader reads: the file, or the folder unpacked from the archive
    name: str       # the upload's file name (its last part only)

    @property
    def source(self) -> str:
        return f"upload:{self.name}"


def _refuse(problem: UploadProblem, code: str, message: str, value: object = None) -> UploadRejected:
    return UploadRejected(problem, error(code, message, value=value))


def upload_too_large(limit: int) -> UploadRejected:
    return _refuse(UploadProblem.TOO_LARGE, "UPLOAD_TOO_LARGE",
                   f"the upload is larger than the limit of {limit:,} bytes (setting NPLHUB_TAPE_UPLOAD_MAX_BYTES) / "
                   "上传文件超过大小限制", value=limit)


def safe_name(filename: str | None) -> str:
    """The last part of a client's file name, without separators or control characters."""
    name = re.split(r"[/\\]", filename or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()[-120:]
    return name if name.strip(".") else ""


def _kind(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in SINGLE_FILES or suffix in ARCHIVES:
        return suffix
    raise _refuse(UploadProblem.UNSUPPORTED, "UNSUPPORTED_UPLOAD",
                  f"{name or 'the upload'} is not a tape: send one .xlsx workbook, one flat .csv or .parquet loan "
                  "list, or a .zip of a folder of CSV or Parquet files with its tape.yaml / 不支持的文件类型",
                  value=name or None)


def _copy(stream: BinaryIO, target: Path, max_bytes: int) -> None:
    written = 0
    with target.open("xb") as out:
        while chunk := stream.read(CHUNK):
            written += len(chunk)
            if written > max_bytes:
                raise upload_too_large(max_bytes)
            out.write(chunk)


def _declared_entries(path: Path) -> int | None:
    """The entry count of the zip's end-of-central-directory record (0xFFFF: see its Zip64 record)."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(0, size - (22 + 0xFFFF)))
        tail = handle.read()
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) < at + 22:
        return None
    return int.from_bytes(tail[at + 10:at + 12], "little")


def _open_archive(path: Path, name: str, limits: UploadLimits) -> zipfile.ZipFile:
    declared = _declared_entries(path)
    if declared is None:
        raise _refuse(UploadProblem.INVALID, "BAD_ARCHIVE", f"{name} is not a readable zip archive", value=name)
    if declared > limits.max_files:   # 0xFFFF (Zip64) too, unless the cap is set above it
        raise _too_many(name, declared, limits)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refuse(UploadProblem.INVALID, "BAD_ARCHIVE", f"{name} is not a readable zip archive ({exc})",
                      value=name) from None
    entries = archive.infolist()
    if len(entries) > limits.max_files:
        archive.close()
        raise _too_many(name, len(entries), limits)
    unpacked = sum(info.file_size for info in entries)
    if unpacked > limits.max_unpacked_bytes:
        archive.close()
        raise _unpacks_too_large(name, limits)
    return archive


def _too_many(name: str, entries: int, limits: UploadLimits) -> UploadRejected:
    return _refuse(UploadProblem.INVALID, "ARCHIVE_TOO_MANY_FILES",
                   f"{name} holds {entries:,} entries, more than the limit of {limits.max_files:,} (setting "
                   "NPLHUB_TAPE_ARCHIVE_MAX_FILES) / 压缩包内文件过多", value=entries)


def _unpacks_too_large(name: str, limits: UploadLimits) -> UploadRejected:
    return _refuse(UploadProblem.TOO_LARGE, "ARCHIVE_TOO_LARGE",
                   f"{name} unpacks to more than the limit of {limits.max_unpacked_bytes:,} bytes (setting "
                   "NPLHUB_TAPE_UNPACKED_MAX_BYTES) / 压缩包解压后超过大小限制", value=name)


def _entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name with '/' separators; a name not flagged UTF-8 is tried as UTF-8 and then as
    GB18030 (Chinese Windows archivers write 贷款.csv in the local code page)."""
    name = info.filename
    if not info.flag_bits & _UTF8_NAME:
        try:
            raw = name.encode("cp437")   # how zipfile decoded a name without the UTF-8 flag
        except UnicodeEncodeError:
            raw = b""
        for encoding in ("utf-8", "gb18030") if not raw.isascii() else ():
            try:
                name = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    return name.replace("\\", "/")


def _is_special(info: zipfile.ZipInfo) -> bool:
    kind = stat.S_IFMT(info.external_attr >> 16)     # unix file type; 0 when the archiver gave none
    return kind not in (0, stat.S_IFREG, stat.S_IFDIR)


def _plan(archive: zipfile.ZipFile, name: str) -> list[tuple[str, zipfile.ZipInfo]]:
    """(file name in the tape folder, entry) for every file to unpack; refuses the archive on the
    first unsafe or unexpected entry, before anything is written."""
    files: list[tuple[PurePosixPath, zipfile.ZipInfo]] = []
    for info in archive.infolist():
        entry = _entry_name(info)
        if entry.startswith(SKIPPED) or PurePosixPath(entry).name == ".DS_Store":
            continue
        parts = PurePosixPath(entry).parts
        if entry.startswith("/") or re.match(r"^[A-Za-z]:", entry) or ".." in parts or "\0" in entry:
            raise _refuse(UploadProblem.INVALID, "UNSAFE_ARCHIVE_PATH",
                          f"{name}: the entry {entry!r} points outside the archive's folder (an absolute path, a "
                          "drive or '..'); nothing was unpacked / 压缩包含不安全路径", value=entry)
        if _is_special(info):
            raise _refuse(UploadProblem.INVALID, "ARCHIVE_LINK",
                          f"{name}: the entry {entry!r} is a symbolic link or another special file; a tape "
                          "archive holds plain files only; nothing was unpacked / 压缩包含符号链接", value=entry)
        if info.flag_bits & _ENCRYPTED:
            raise _refuse(UploadProblem.INVALID, "BAD_ARCHIVE",
                          f"{name}: the entry {entry!r} is encrypted; send the archive without a password",
                          value=entry)
        if info.is_dir():
            continue
        if PurePosixPath(entry).suffix.lower() not in IN_ARCHIVE:
            raise _refuse(UploadProblem.INVALID, "ARCHIVE_FILE_TYPE",
                          f"{name}: {entry!r} is not a tape file; a tape archive holds .csv or .parquet tables and "
                          "tape.yaml only / 压缩包含非数据带文件", value=entry)
        files.append((PurePosixPath(*[p for p in parts if p not in ("", ".")]), info))
    tops = {path.parts[0] for path, _ in files if len(path.parts) > 1}
    if len(tops) == 1 and all(len(path.parts) > 1 for path, _ in files):   # the folder itself was zipped
        files = [(PurePosixPath(*path.parts[1:]), info) for path, info in files]
    plan: list[tuple[str, zipfile.ZipInfo]] = []
    seen: set[str] = set()
    for path, info in files:
        if len(path.parts) != 1:
            raise _refuse(UploadProblem.INVALID, "ARCHIVE_NESTED_FOLDER",
                          f"{name}: {path.as_posix()!r} is in a sub-folder; put the tables of one tape side by side "
                          "at the top of the archive (or in one folder) / 数据表不应放在子文件夹中", value=path.as_posix())
        if path.name.lower() in seen:
            raise _refuse(UploadProblem.INVALID, "ARCHIVE_DUPLICATE_ENTRY",
                          f"{name}: {path.name!r} is given twice / 压缩包内文件重名", value=path.name)
        seen.add(path.name.lower())
        plan.append((path.name, info))
    if not any(PurePosixPath(n).suffix.lower() in TABLE_FILES for n, _ in plan):
        raise _refuse(UploadProblem.INVALID, "EMPTY_ARCHIVE",
                      f"{name} holds no .csv or .parquet table / 压缩包内没有数据表", value=name)
    return plan


def _unpack(archive_path: Path, name: str, folder: Path, limits: UploadLimits) -> Path:
    with _open_archive(archive_path, name, limits) as archive:
        plan = _plan(archive, name)
        folder.mkdir()
        written = 0
        for file_name, info in plan:
            target = folder / file_name
            if target.parent != folder:   # _plan keeps one plain part; checked again where it is written
                raise _refuse(UploadProblem.INVALID, "UNSAFE_ARCHIVE_PATH", f"{name}: {file_name!r} is not a "
                              "plain file name", value=file_name)
            with archive.open(info) as source, target.open("xb") as out:
                while chunk := source.read(CHUNK):
                    written += len(chunk)
                    if written > limits.max_unpacked_bytes:
                        raise _unpacks_too_large(name, limits)
                    out.write(chunk)
    return folder


@contextmanager
def received_tape(stream: BinaryIO, filename: str | None, limits: UploadLimits) -> Iterator[ReceivedTape]:
    """The uploaded tape as a path the data hub's reader takes, inside a private temporary folder
    that is removed on leaving the block; raises `UploadRejected` when the upload is refused."""
    name = safe_name(filename)
    kind = _kind(name)
    folder = Path(tempfile.mkdtemp(prefix="nplhub-upload-"))
    try:
        received = folder / ("upload" + kind if kind in ARCHIVES else name)
        _copy(stream, received, limits.max_bytes)
        if kind in ARCHIVES:
            yield ReceivedTape(_unpack(received, name, folder / "tape", limits), name)
            return
        if kind == ".xlsx" and zipfile.is_zipfile(received):   # not a zip: the reader says what is wrong
            _open_archive(received, name, limits).close()
        yield ReceivedTape(received, name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check_upload(stream: BinaryIO, filename: str | None, limits: UploadLimits,
                 meta: dict[str, str | None] | None = None) -> ValidatedTape:
    """Validate an uploaded tape without touching the database."""
    with received_tape(stream, filename, limits) as tape:
        return check_tape(tape.path, meta)


def import_upload(uow: AbstractUnitOfWork, stream: BinaryIO, filename: str | None, limits: UploadLimits,
                  meta: dict[str, str | None] | None = None, progress: Progress | None = None, *,
                  quarantine: str | Path | None = None, imported_by: str = "") -> ImportResult:
    """Import an uploaded tape as `import_tape` does (all or nothing, or partial with `quarantine`);
    the snapshot's source is 'upload:' and the upload's file name."""
    with received_tape(stream, filename, limits) as tape:
        return import_tape(uow, tape.path, meta, progress, quarantine=quarantine, source=tape.source,
                           imported_by=imported_by)
