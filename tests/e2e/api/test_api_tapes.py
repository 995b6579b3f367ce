"""Tapes pushed over the REST API, as a bank's systems push them, on a fresh platform of its own
(SQLite and PostgreSQL): a good tape in each container becomes a snapshot with the counts of its
rows, stored and in the audit ledger; a bad tape is answered with the location of each error and
writes nothing; a partial import sets rows aside into a quarantine file that only the roles that
may see personal data can fetch; an upload that is too large, of the wrong type or an unsafe
archive is refused before anything is read, and nothing is unpacked outside the private folder.

Every tape is built from the data hub's sample tables and writers; "nothing written" is checked
on the row counts of every data hub table and of the ledger."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from nplhub.api.app import create_app
from nplhub.api.security import TokenTable
from nplhub.bootstrap import Platform, bootstrap
from nplhub.config import Settings
from nplhub.datahub.issues import ISSUE_KEYS
from nplhub.datahub.sample import SAMPLE_META, sample_tables
from nplhub.datahub.schema import TABLE_ORDER
from nplhub.datahub.writers import flatten, write_tables
from nplhub.ledger.verifier import check_bundle
from nplhub.storage.tables import datahub as datahub_tables
from nplhub.storage.tables import ledger as ledger_tables

TOKENS: dict[str, Any] = {"t-admin": "admin", "t-steward": "data_steward", "t-analyst": "analyst", "t-officer": "officer",
                          "t-regulator": "regulator", "t-viewer": "viewer",
                          "t-investor": {"role": "investor", "subject": "INV-A"}}
STORED = [datahub_tables.portfolios, datahub_tables.snapshots, datahub_tables.import_issues,
          *(getattr(datahub_tables, name) for name in TABLE_ORDER), ledger_tables.ledger_entries,
          ledger_tables.ledger_queue]
SNAPSHOT = "SAMPLE-01@2024-06-30#v1"
FORM_META = {k: v for k, v in SAMPLE_META.items()}   # a single flat file carries its metadata in the form


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Hub:
    client: TestClient
    platform: Platform
    temp: Path          # TMPDIR of the platform: where uploads are unpacked
    root: Path          # the test's own folder, inside which nothing may leak

    def post(self, what: str, name: str, data: bytes, token: str | None = "t-admin",
             form: dict[str, str] | None = None) -> Any:
        return self.client.post(f"/api/tapes/{what}", files={"file": (name, data)}, data=form or {},
                                headers=auth(token) if token else {})

    def rows(self) -> dict[str, int]:
        """The rows of every data hub table and of the ledger (entries and queue)."""
        with self.platform.engine.connect() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in STORED}

    def ledger_size(self) -> int:
        response = self.client.get("/api/ledger/root", headers=auth("t-regulator"))
        assert response.status_code == 200, response.text
        return int(response.json()["tree_size"])

    def ledger_event(self, leaf_index: int) -> dict[str, Any]:
        bundle = self.client.get(f"/api/ledger/proof/{leaf_index}", headers=auth("t-regulator")).json()
        verdict = check_bundle(bundle)
        assert verdict["ok"], verdict["reason"]
        return bundle["entry"]["event"]  # type: ignore[no-any-return]

    def source_of(self, snapshot_id: str) -> str:
        with self.platform.engine.connect() as conn:
            return str(conn.execute(select(datahub_tables.snapshots.c.source).where(
                datahub_tables.snapshots.c.snapshot_id == snapshot_id)).scalar_one())

    def nothing_left_in_temp(self) -> list[Path]:
        return list(self.temp.iterdir())


@pytest.fixture
def make_hub(migrated_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Hub]]:
    """A platform of its own on the test's database, with uploads unpacked under the test's TMPDIR."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    opened: list[tuple[TestClient, Platform]] = []

    def make(**settings: Any) -> Hub:
        platform = bootstrap(Settings(data_dir=tmp_path / "var", ledger_key=tmp_path / "ledger.key",
                                      database_url=migrated_url, **settings))
        client = TestClient(create_app(platform, TokenTable(TOKENS)))
        opened.append((client, platform))
        return Hub(client, platform, temp, tmp_path)

    yield make
    for client, platform in opened:
        client.close()
        platform.close()


@pytest.fixture
def hub(make_hub: Callable[..., Hub]) -> Hub:
    return make_hub()


# --- tapes ------------------------------------------------------------------------------------


def zipped(files: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3                       # unix: the mode bits are read
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return buffer.getvalue()


def folder_files(folder: Path, top: str = "") -> dict[str, bytes]:
    return {f"{top}{p.name}": p.read_bytes() for p in sorted(folder.iterdir())}


def bad_tables() -> dict[str, pd.DataFrame]:
    tables = sample_tables()
    tables["loans"].loc[1, "days_past_due"] = "ninety"    # loans row 3 (L002): not an integer
    return tables


def tape(container: str, out: Path, tables: dict[str, pd.DataFrame] | None = None) -> tuple[str, bytes, dict[str, str]]:
    """(file name, bytes, form fields) of the tape in `container`."""
    tables = tables if tables is not None else sample_tables()
    if container in ("csv.zip", "parquet.zip", "folder.zip"):
        fmt = "parquet" if container == "parquet.zip" else "csv"
        folder = write_tables(tables, SAMPLE_META, out / container, fmt)
        top = "sample-tape/" if container == "folder.zip" else ""   # the folder itself zipped
        return f"tape-{container}", zipped(folder_files(folder, top)), {}
    if container == "xlsx":
        return "tape.xlsx", write_tables(tables, SAMPLE_META, out / container, "xlsx").read_bytes(), {}
    if container == "flat.csv":
        return "loan_list.csv", write_tables(tables, SAMPLE_META, out / container, "flat").read_bytes(), FORM_META
    buffer = io.BytesIO()
    flatten(tables).to_parquet(buffer, index=False)
    return "loan_list.parquet", buffer.getvalue(), FORM_META


def expected_counts(container: str) -> dict[str, int]:
    tables = sample_tables()
    if container.startswith("flat"):   # a flat list carries the loans, their borrowers and collateral only
        links = tables["loan_collateral"]
        flat = {"counterparties": tables["loans"]["counterparty_id"].nunique(), "loans": len(tables["loans"]),
                "collateral": links["collateral_id"].nunique(), "loan_collateral": len(links)}
        return {name: int(flat.get(name, 0)) for name in TABLE_ORDER}
    return {name: len(tables[name]) for name in TABLE_ORDER}


CONTAINERS = ["csv.zip", "parquet.zip", "folder.zip", "xlsx", "flat.csv", "flat.parquet"]


# --- import and validation ------------------------------------------------------------------------


@pytest.mark.parametrize("container", CONTAINERS)
def test_a_good_tape_in_each_container_is_imported_as_a_snapshot_with_the_counts_of_its_rows(
        hub: Hub, tmp_path: Path, container: str) -> None:
    name, data, form = tape(container, tmp_path)
    before, size = hub.rows(), hub.ledger_size()

    response = hub.post("import", name, data, form=form)

    assert response.status_code == 201, response.text
    body = response.json()
    expected = expected_counts(container)
    assert (body["snapshot_id"], body["version"], body["counts"]) == (SNAPSHOT, 1, expected)
    assert "quarantined" not in body and "quarantine_url" not in body      # a whole import has no quarantine
    after = hub.rows()
    for table in TABLE_ORDER:
        assert after[table] - before[table] == expected[table], table
    assert after["snapshots"] - before["snapshots"] == 1
    assert after["import_issues"] - before["import_issues"] == body["warnings"]
    assert hub.source_of(SNAPSHOT) == f"upload:{name}"       # not the temporary folder it was unpacked in
    # the service's TapeImported event is in the ledger, with a proof that verifies offline
    assert hub.ledger_size() == size + 1
    event = hub.ledger_event(size)
    assert (event["type"], event["snapshot_id"], event["counts"]) == ("tape.imported", SNAPSHOT, expected)
    assert event["content_sha256"] == body["content_sha256"]
    assert hub.nothing_left_in_temp() == []


def test_importing_the_same_upload_again_stores_version_two_and_the_form_fields_override_the_tape(
        hub: Hub, tmp_path: Path) -> None:
    name, data, _ = tape("csv.zip", tmp_path)
    assert hub.post("import", name, data).json()["version"] == 1
    again = hub.post("import", name, data)
    assert again.status_code == 201 and again.json()["snapshot_id"] == "SAMPLE-01@2024-06-30#v2"
    renamed = hub.post("import", name, data, form={"portfolio_id": "PUSHED-7", "cutoff_date": "2024-07-31", "reporting_date": "2024-08-15"})
    assert renamed.status_code == 201, renamed.text
    assert (renamed.json()["snapshot_id"], renamed.json()["portfolio_id"]) == ("PUSHED-7@2024-07-31#v1", "PUSHED-7")


def test_a_bad_tape_is_refused_with_the_location_of_each_error_and_nothing_is_written(
        hub: Hub, tmp_path: Path) -> None:
    name, data, _ = tape("csv.zip", tmp_path, bad_tables())
    before = hub.rows()

    response = hub.post("import", name, data)

    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "TapeRejected"
    assert all(tuple(issue) == ISSUE_KEYS for issue in body["issues"])
    errors = [i for i in body["issues"] if i["severity"] == "error"]
    assert [(i["table"], i["row"], i["column"], i["value"], i["code"]) for i in errors] == [
        ("loans", 3, "days_past_due", "ninety", "INVALID_INTEGER")]
    assert hub.rows() == before
    assert hub.nothing_left_in_temp() == []


def test_validating_answers_ok_with_counts_or_the_issues_and_never_writes(hub: Hub, tmp_path: Path) -> None:
    before = hub.rows()
    good = hub.post("validate", *tape("xlsx", tmp_path)[:2], token="t-analyst")
    assert good.status_code == 200, good.text
    assert good.json()["ok"] is True
    assert good.json()["counts"] == expected_counts("xlsx")
    assert set(good.json()) == {"ok", "counts", "issues"}

    bad = hub.post("validate", *tape("csv.zip", tmp_path / "bad", bad_tables())[:2], token="t-admin")
    assert bad.status_code == 200, bad.text
    assert bad.json()["ok"] is False
    assert all(tuple(issue) == ISSUE_KEYS for issue in bad.json()["issues"])
    errors = [i for i in bad.json()["issues"] if i["severity"] == "error"]
    assert [(i["table"], i["row"], i["column"], i["value"]) for i in errors] == [("loans", 3, "days_past_due", "ninety")]
    assert hub.rows() == before
    assert hub.nothing_left_in_temp() == []


def test_a_flat_list_without_its_metadata_is_refused_naming_the_missing_portfolio_id(hub: Hub, tmp_path: Path) -> None:
    name, data, _ = tape("flat.csv", tmp_path)
    before = hub.rows()
    response = hub.post("import", name, data)        # no form fields, and no yaml beside a single file
    assert response.status_code == 422
    assert "MISSING_METADATA" in {i["code"] for i in response.json()["issues"]}
    assert hub.rows() == before


# --- partial import and its quarantine file ---------------------------------------------------------


def test_a_partial_import_sets_the_bad_rows_aside_and_only_pii_roles_fetch_the_quarantine_file(
        hub: Hub, tmp_path: Path) -> None:
    name, data, _ = tape("csv.zip", tmp_path, bad_tables())
    before, size = hub.rows(), hub.ledger_size()

    response = hub.post("import", name, data, form={"partial": "true"})

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["partial"] is True and body["quarantine_id"] == SNAPSHOT
    assert body["quarantined"]["loans"] == 1
    sample = sample_tables()
    for table in TABLE_ORDER:       # imported + set aside = rows of the tape, and the database holds the imported
        assert body["counts"][table] + body["quarantined"].get(table, 0) == len(sample[table]), table
        assert hub.rows()[table] - before[table] == body["counts"][table], table
    assert body["quarantine_url"] == f"/api/tapes/{quote(SNAPSHOT, safe='')}/quarantine"
    imported = hub.ledger_event(size)
    assert (imported["type"], imported["quarantined"]) == ("tape.imported", body["quarantined"])

    url = body["quarantine_url"]
    for token in ("t-analyst", "t-investor", "t-viewer", None):       # PII masked or no loan level at all
        assert hub.client.get(url, headers=auth(token) if token else {}).status_code == 403, token
    assert hub.client.get(url, headers=auth("t-unknown")).status_code == 401
    assert hub.ledger_size() == size + 1                               # a refusal records nothing

    fetched = hub.client.get(url, headers=auth("t-officer"))
    assert fetched.status_code == 200, fetched.text
    assert fetched.headers["content-type"].startswith("text/csv")
    text = fetched.content.decode("utf-8-sig")
    header, *lines = text.splitlines()
    assert header.startswith("table,row,codes,reasons")
    assert len(lines) == sum(body["quarantined"].values())
    assert any(line.startswith("loans,3,INVALID_INTEGER") and "ninety" in line for line in lines)
    digest = hashlib.sha256(fetched.content).hexdigest()
    assert fetched.headers["x-content-sha256"] == digest == imported["quarantine_sha256"]
    # handing out personal data is recorded: who (role) and which bytes
    assert hub.ledger_size() == size + 2
    fetch = hub.ledger_event(size + 1)
    assert (fetch["type"], fetch["subject"], fetch["data"]["role"], fetch["data"]["sha256"]) == (
        "tape.quarantine_fetched", SNAPSHOT, "officer", digest)
    for token in ("t-regulator", "t-admin", "t-steward"):   # the steward gets back the rows it sent
        again = hub.client.get(url, headers=auth(token))
        assert again.status_code == 200 and again.content == fetched.content, token


def test_a_whole_import_or_an_unknown_snapshot_has_no_quarantine_file(hub: Hub, tmp_path: Path) -> None:
    name, data, _ = tape("csv.zip", tmp_path)
    assert hub.post("import", name, data).status_code == 201
    for snapshot_id in (SNAPSHOT, "NOPE@2024-06-30#v1"):
        response = hub.client.get(f"/api/tapes/{quote(snapshot_id, safe='')}/quarantine", headers=auth("t-admin"))
        assert response.status_code == 404, snapshot_id
        assert snapshot_id in response.json()["detail"]


# --- who may --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["t-analyst", "t-officer", "t-regulator", "t-investor", "t-viewer", None])
def test_only_a_role_that_may_write_tapes_imports_one(hub: Hub, tmp_path: Path, token: str | None) -> None:
    name, data, _ = tape("csv.zip", tmp_path)
    before = hub.rows()
    response = hub.post("import", name, data, token=token)
    assert response.status_code == 403, response.text
    assert "write:tapes" in response.json()["detail"]
    assert hub.rows() == before


def test_a_data_steward_imports_a_tape_but_sees_no_loan(hub: Hub, tmp_path: Path) -> None:
    name, data, _ = tape("csv.zip", tmp_path)
    assert hub.post("validate", name, data, token="t-steward").status_code == 200
    size = hub.ledger_size()
    assert hub.post("import", name, data, token="t-steward").status_code == 201
    imported = hub.ledger_event(size)      # the import's entry names who asked for it, not the token
    assert imported["type"] == "tape.imported" and imported["imported_by"] == "api:data_steward"
    assert "t-steward" not in json.dumps(imported)
    assert hub.client.get("/api/portfolio/summary", headers=auth("t-steward")).status_code == 200
    loans = [route.path for route in hub.client.app.routes if "{loan_id}" in getattr(route, "path", "")]
    for path in loans:
        assert hub.client.get(path.replace("{loan_id}", "L001"), headers=auth("t-steward")).status_code == 403, path


@pytest.mark.parametrize("token", ["t-officer", "t-regulator", "t-investor", "t-viewer", None])
def test_only_analysts_and_importers_validate_a_tape(hub: Hub, tmp_path: Path, token: str | None) -> None:
    name, data, _ = tape("csv.zip", tmp_path)
    response = hub.post("validate", name, data, token=token)
    assert response.status_code == 403, response.text
    assert "check:tapes" in response.json()["detail"]


def test_an_unknown_token_is_refused_with_401(hub: Hub, tmp_path: Path) -> None:
    name, data, _ = tape("csv.zip", tmp_path)
    for what in ("validate", "import"):
        assert hub.post(what, name, data, token="t-stolen").status_code == 401


# --- guarded uploads --------------------------------------------------------------------------------


def test_an_upload_over_the_size_limit_is_refused_with_413_naming_the_setting(
        make_hub: Callable[..., Hub], tmp_path: Path) -> None:
    hub = make_hub(tape_upload_max_bytes=2000)
    name, data, _ = tape("csv.zip", tmp_path)
    assert len(data) > 2000
    before = hub.rows()
    for body in (data, b"x" * 2001, b"x" * 200_000):     # just over, and over the request's limit too
        response = hub.post("import", name, body)
        assert response.status_code == 413, response.text
        assert [i["code"] for i in response.json()["issues"]] == ["UPLOAD_TOO_LARGE"]
        assert "NPLHUB_TAPE_UPLOAD_MAX_BYTES" in response.json()["detail"]
    assert hub.rows() == before
    assert hub.nothing_left_in_temp() == []


def post_in_pieces(app: Any, path: str, headers: dict[str, str], pieces: Iterator[bytes]) -> tuple[int, Any, int]:
    """POST through the ASGI interface itself, handing the body over piece by piece as the server
    asks for it (the test client would read it whole first); (status, JSON body, bytes handed over)."""
    handed = 0
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal handed
        piece = next(pieces, None)
        if piece is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        handed += len(piece)
        return {"type": "http.request", "body": piece, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "client": ("127.0.0.1", 50000), "server": ("testserver", 80)}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return start["status"], json.loads(body), handed


@pytest.mark.parametrize("declared", [False, True])
def test_an_oversize_upload_is_cut_off_as_it_arrives_and_not_read_whole(
        make_hub: Callable[..., Hub], declared: bool) -> None:
    """Sent without a Content-Length (chunked), the body is read only until the limit is passed;
    with a declared length over the limit it is not read at all."""
    hub = make_hub(tape_upload_max_bytes=2000)
    boundary = "nplhub-test-boundary"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="tape.zip"\r\n'
            "Content-Type: application/zip\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    pieces = iter([head, *(b"\0" * 1024 for _ in range(1024)), tail])      # a 1 MiB file in 1 KiB pieces
    headers = {**auth("t-admin"), "Content-Type": f"multipart/form-data; boundary={boundary}"}
    if declared:
        headers["Content-Length"] = str(len(head) + 1024 * 1024 + len(tail))
    before = hub.rows()

    status, body, handed = post_in_pieces(hub.client.app, "/api/tapes/import", headers, pieces)

    assert status == 413, body
    assert [i["code"] for i in body["issues"]] == ["UPLOAD_TOO_LARGE"]
    # the request may hold the file's 2,000 bytes plus 64 KiB for the fields and the framing
    assert handed <= (0 if declared else 2000 + 64 * 1024 + 1024)
    assert hub.rows() == before


@pytest.mark.parametrize(("what", "token", "status"), [
    ("import", None, 403), ("import", "t-analyst", 403), ("import", "t-stolen", 401),
    ("validate", "t-investor", 403), ("validate", None, 403),
])
def test_a_caller_who_may_not_send_a_tape_is_refused_before_the_upload_is_read(
        hub: Hub, what: str, token: str | None, status: int) -> None:
    boundary = "nplhub-test-boundary"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="tape.zip"\r\n\r\n').encode()
    pieces = iter([head, *(b"\0" * 1024 for _ in range(256)), f"\r\n--{boundary}--\r\n".encode()])
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", **(auth(token) if token else {})}
    answer, body, handed = post_in_pieces(hub.client.app, f"/api/tapes/{what}", headers, pieces)
    assert (answer, handed) == (status, 0), body
    assert ("unknown token" if status == 401 else "tapes") in body["detail"]


def test_a_zip_bomb_is_refused_by_its_unpacked_size_and_by_its_number_of_entries(
        make_hub: Callable[..., Hub], tmp_path: Path) -> None:
    hub = make_hub(tape_unpacked_max_bytes=1_000_000, tape_archive_max_files=8)
    before = hub.rows()
    bomb = zipped({"loans.csv": b"loan_id\n" + b"0" * 5_000_000})
    assert len(bomb) < 50_000                                       # small upload, 5 MB unpacked
    response = hub.post("import", "bomb.zip", bomb)
    assert response.status_code == 413, response.text
    assert [i["code"] for i in response.json()["issues"]] == ["ARCHIVE_TOO_LARGE"]
    assert "NPLHUB_TAPE_UNPACKED_MAX_BYTES" in response.json()["detail"]

    many = zipped({f"table{i}.csv": b"a\n1\n" for i in range(9)})
    response = hub.post("import", "many.zip", many)
    assert response.status_code == 422, response.text
    assert [i["code"] for i in response.json()["issues"]] == ["ARCHIVE_TOO_MANY_FILES"]
    assert hub.rows() == before
    assert hub.nothing_left_in_temp() == []


def test_a_workbook_that_unpacks_past_the_limit_is_refused_too(make_hub: Callable[..., Hub], tmp_path: Path) -> None:
    hub = make_hub(tape_unpacked_max_bytes=20_000)
    name, data, _ = tape("xlsx", tmp_path)
    response = hub.post("validate", name, data)
    assert response.status_code == 413, response.text
    assert [i["code"] for i in response.json()["issues"]] == ["ARCHIVE_TOO_LARGE"]


@pytest.mark.parametrize(("entry", "code"), [
    ("../../evil.csv", "UNSAFE_ARCHIVE_PATH"),
    ("../../../evil.csv", "UNSAFE_ARCHIVE_PATH"),
    ("tape/../../../../evil.csv", "UNSAFE_ARCHIVE_PATH"),
    ("/tmp/evil.csv", "UNSAFE_ARCHIVE_PATH"),
    ("..\\..\\evil.csv", "UNSAFE_ARCHIVE_PATH"),
    ("C:/evil.csv", "UNSAFE_ARCHIVE_PATH"),
])
def test_an_archive_entry_pointing_outside_its_folder_is_refused_and_nothing_is_unpacked(
        hub: Hub, tmp_path: Path, entry: str, code: str) -> None:
    name, data, _ = tape("csv.zip", tmp_path)
    files = {**{n: b for n, b in zipfile_members(data).items()}, entry: b"loan_id\nEVIL\n"}
    before = hub.rows()
    for what in ("validate", "import"):
        response = hub.post(what, "evil.zip", zipped(files))
        assert response.status_code == 422, response.text
        assert [(i["code"], i["value"]) for i in response.json()["issues"]] == [(code, entry.replace("\\", "/"))]
    assert hub.rows() == before
    assert sorted(p.name for p in tmp_path.rglob("evil*")) == []
    assert not Path("/tmp/evil.csv").exists() or Path("/tmp/evil.csv").read_bytes() != b"loan_id\nEVIL\n"
    assert hub.nothing_left_in_temp() == []


def test_an_archive_holding_a_symbolic_link_is_refused_and_the_link_is_never_followed(
        hub: Hub, tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("loan_id\nSECRET\n")
    name, data, _ = tape("csv.zip", tmp_path)
    members = zipfile_members(data)
    members.pop("loans.csv")
    before = hub.rows()
    response = hub.post("import", "linked.zip", zipped(members, links={"loans.csv": str(secret)}))
    assert response.status_code == 422, response.text
    assert [(i["code"], i["value"]) for i in response.json()["issues"]] == [("ARCHIVE_LINK", "loans.csv")]
    assert hub.rows() == before
    assert secret.read_text() == "loan_id\nSECRET\n"
    assert hub.nothing_left_in_temp() == []


@pytest.mark.parametrize(("name", "data", "status", "code"), [
    ("tape.txt", b"loan_id\nL1\n", 415, "UNSUPPORTED_UPLOAD"),
    ("tape.exe", b"MZ\x90\x00", 415, "UNSUPPORTED_UPLOAD"),
    ("tape", b"loan_id\nL1\n", 415, "UNSUPPORTED_UPLOAD"),
    ("tape.zip", b"this is not a zip", 422, "BAD_ARCHIVE"),
    ("tape.zip", zipped({"loans.csv": b"a\n", "run.sh": b"echo\n"}), 422, "ARCHIVE_FILE_TYPE"),
    ("tape.zip", zipped({"tape.yaml": b"portfolio_id: X\n"}), 422, "EMPTY_ARCHIVE"),
    ("tape.zip", zipped({"a/loans.csv": b"a\n", "b/counterparties.csv": b"a\n"}), 422, "ARCHIVE_NESTED_FOLDER"),
])
def test_an_upload_that_is_not_a_tape_is_refused_with_its_reason(
        hub: Hub, name: str, data: bytes, status: int, code: str) -> None:
    before = hub.rows()
    response = hub.post("import", name, data)
    assert response.status_code == status, response.text
    assert response.json()["error"] == "UploadRejected"
    assert [i["code"] for i in response.json()["issues"]] == [code]
    assert all(tuple(issue) == ISSUE_KEYS for issue in response.json()["issues"])
    assert hub.rows() == before
    assert hub.nothing_left_in_temp() == []


def zipfile_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}
