"""The quarantine files of partial imports made through the platform, and who fetched them.

A partial import over the REST API writes its quarantine file into the platform's quarantine
folder (DATA_DIR/quarantine, as `nplhub tape import --partial` does by default), named after its
snapshot. The file holds the rows set aside as written, personal data included, so handing it out
is recorded: a `tape.quarantine_fetched` ledger event names the snapshot, the role and subject of
the reader and the SHA-256 of the bytes handed out, which is the `quarantine_sha256` of the
snapshot's `TapeImported` event unless the file was altered since.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from nplhub.domain.errors import NotFound
from nplhub.domain.events import GenericEvent
from nplhub.services.datahub import quarantine_path
from nplhub.services.datahub_ports import SnapshotRepository
from nplhub.services.ports import AbstractUnitOfWork

FOLDER_NAME = "quarantine"


@dataclass(frozen=True)
class QuarantineFile:
    snapshot_id: str
    path: Path
    sha256: str
    size: int


def quarantine_folder(data_dir: str | Path, *, create: bool = False) -> Path:
    """The platform's quarantine folder; `create` makes it (readable by its owner only) when missing."""
    folder = Path(data_dir) / FOLDER_NAME
    if create:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def fetch_quarantine(uow: AbstractUnitOfWork, snapshot_id: str, folder: str | Path, *, role: str,
                     subject: str | None = None) -> QuarantineFile:
    """The quarantine file of `snapshot_id` in `folder`, its handing out recorded in the ledger;
    `NotFound` for an unknown snapshot or one without a quarantine file there."""
    with uow:
        snapshot = uow.get(SnapshotRepository).get(snapshot_id)  # type: ignore[type-abstract]
        if snapshot is None:
            raise NotFound(f"snapshot {snapshot_id} not found / 未找到该快照")
        folder = Path(folder)
        path = quarantine_path(folder, snapshot.portfolio_id, snapshot.cutoff_date, snapshot.version) \
            if folder.is_dir() else None
        if path is None or not path.is_file():
            raise NotFound(f"snapshot {snapshot_id} has no quarantine file in the platform's quarantine folder: it "
                           "was imported whole, or by `nplhub tape import --partial --quarantine` to a file of the "
                           "caller's choosing / 该快照没有隔离文件")
        digest = hashlib.sha256()
        size = 0
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        data: dict[str, object] = {"role": role, "sha256": digest.hexdigest(), "bytes": size}
        if subject:
            data["subject"] = subject
        uow.record(GenericEvent(kind="tape.quarantine_fetched", subject=snapshot_id, data=data))
        uow.commit()
    return QuarantineFile(snapshot_id, path, digest.hexdigest(), size)
