"""An uploaded tape is unpacked into a private folder that is always removed, and an archive is
judged entry by entry before anything is written (nplhub.services.tape_upload); the API's end-to-end
tests (tests/e2e/api/test_api_tapes.py) cover the refusals as a caller sees them."""

from __future__ import annotations

import io
import stat
import tempfile
import zipfile
from pathlib import Path

import pytest

from nplhub.services.tape_upload import (
    UploadLimits,
    UploadProblem,
    UploadRejected,
    _declared_entries,
    received_tape,
    safe_name,
)

LIMITS = UploadLimits(max_bytes=1_000_000, max_unpacked_bytes=1_000_000, max_files=20)


@pytest.fixture(autouse=True)
def private_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return temp


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def refusal(data: bytes, name: str = "tape.zip", limits: UploadLimits = LIMITS) -> UploadRejected:
    with pytest.raises(UploadRejected) as caught, received_tape(io.BytesIO(data), name, limits):
        pass
    return caught.value


def test_the_tape_is_in_a_folder_only_its_owner_reads_and_the_folder_is_gone_afterwards(private_temp: Path) -> None:
    with received_tape(io.BytesIO(b"loan_id\nL1\n"), "loan_list.csv", LIMITS) as tape:
        assert tape.path.read_bytes() == b"loan_id\nL1\n"
        assert tape.path.name == "loan_list.csv" and tape.source == "upload:loan_list.csv"
        assert stat.S_IMODE(tape.path.parent.stat().st_mode) == 0o700
        assert tape.path.parent.parent == private_temp
    assert list(private_temp.iterdir()) == []


def test_the_folder_is_removed_when_the_work_on_the_tape_fails(private_temp: Path) -> None:
    with pytest.raises(RuntimeError), received_tape(io.BytesIO(zipped({"loans.csv": b"a\n"})), "t.zip", LIMITS):
        raise RuntimeError("the import failed")
    assert list(private_temp.iterdir()) == []


def test_a_zipped_folder_is_unpacked_flat_and_macos_extras_are_skipped() -> None:
    data = zipped({"tape/loans.csv": b"a\n", "tape/tape.yaml": b"portfolio_id: P\n",
                   "__MACOSX/tape/._loans.csv": b"\0", "tape/.DS_Store": b"\0"})
    with received_tape(io.BytesIO(data), "tape.zip", LIMITS) as tape:
        assert sorted(p.name for p in tape.path.iterdir()) == ["loans.csv", "tape.yaml"]


def test_a_chinese_file_name_written_in_the_windows_code_page_keeps_its_name() -> None:
    gbk = "贷款.csv".encode("gbk")
    placeholder = b"X" * (len(gbk) - 4) + b".csv"
    data = zipped({placeholder.decode(): b"a\n"}).replace(placeholder, gbk)   # no UTF-8 flag, as WinRAR writes it
    with received_tape(io.BytesIO(data), "tape.zip", LIMITS) as tape:
        assert [p.name for p in tape.path.iterdir()] == ["贷款.csv"]


def test_the_same_file_twice_is_refused() -> None:
    rejected = refusal(zipped({"loans.csv": b"a\n", "LOANS.csv": b"b\n"}))
    assert (rejected.problem, rejected.issues[0].code) == (UploadProblem.INVALID, "ARCHIVE_DUPLICATE_ENTRY")


def test_an_encrypted_entry_is_refused() -> None:
    data = bytearray(zipped({"loans.csv": b"a\n"}))
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):   # set the 'encrypted' bit
        data[data.find(signature) + flags_at] |= 0x1
    assert zipfile.ZipFile(io.BytesIO(bytes(data))).infolist()[0].flag_bits & 0x1
    assert refusal(bytes(data)).issues[0].code == "BAD_ARCHIVE"


def test_the_entry_count_is_read_from_the_end_record_before_the_directory_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "many.zip"
    path.write_bytes(zipped({f"t{i}.csv": b"a\n" for i in range(25)}))
    assert _declared_entries(path) == 25
    rejected = refusal(path.read_bytes())
    assert (rejected.issues[0].code, rejected.issues[0].value) == ("ARCHIVE_TOO_MANY_FILES", "25")
    (tmp_path / "plain.zip").write_bytes(b"not a zip at all")
    assert _declared_entries(tmp_path / "plain.zip") is None


@pytest.mark.parametrize(("given", "kept"), [
    ("../../etc/loans.csv", "loans.csv"), ("C:\\Users\\bank\\tape.xlsx", "tape.xlsx"), ("tape\x00.csv", "tape.csv"),
    ("..", ""), (None, ""),
])
def test_only_the_last_part_of_the_callers_file_name_is_kept(given: str | None, kept: str) -> None:
    assert safe_name(given) == kept


def test_a_file_without_a_tape_type_is_unsupported() -> None:
    rejected = refusal(b"a\n", name="")
    assert (rejected.problem, rejected.issues[0].code) == (UploadProblem.UNSUPPORTED, "UNSUPPORTED_UPLOAD")
