"""Settings, read from the environment (prefix NPLHUB_) by pydantic-settings.

NPLHUB_DATABASE_URL   SQLAlchemy URL; default: the embedded SQLite file var/nplhub.sqlite under the
                      current directory (WAL mode). PostgreSQL: postgresql+psycopg://user@host/db
NPLHUB_LEDGER_KEY     path of the Ed25519 signing key of the audit ledger (kept outside the database)
NPLHUB_LEDGER_ORIGIN  the origin line of the ledger's signed checkpoints
NPLHUB_TAPE_UPLOAD_MAX_BYTES     the largest tape file the REST API accepts (POST /api/tapes/...)
NPLHUB_TAPE_UNPACKED_MAX_BYTES   the most an uploaded .zip (or .xlsx) may hold once unpacked
NPLHUB_TAPE_ARCHIVE_MAX_FILES    the most entries an uploaded .zip (or .xlsx) may hold
"""

from __future__ import annotations

from pathlib import Path

from pydantic import PositiveInt
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("var")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NPLHUB_", extra="ignore")

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = None
    ledger_key: Path | None = None
    ledger_origin: str = "nplhub.example/ledger"
    host: str = "127.0.0.1"
    port: int = 8000
    # uploads of tapes over the REST API (services/tape_upload.py): zip bombs are refused from these
    tape_upload_max_bytes: PositiveInt = 512 * 1024**2
    tape_unpacked_max_bytes: PositiveInt = 4 * 1024**3
    tape_archive_max_files: PositiveInt = 200

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'nplhub.sqlite').as_posix()}"

    @property
    def resolved_ledger_key(self) -> Path:
        return self.ledger_key or (self.data_dir / "ledger-ed25519.key")
