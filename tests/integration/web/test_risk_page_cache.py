"""The risk page of a snapshot is computed once per language; a new snapshot is computed afresh."""

from __future__ import annotations

from pathlib import Path

import pytest

from nplhub.bootstrap import Platform, bootstrap
from nplhub.config import Settings
from nplhub.datahub.sample import SAMPLE_META, sample_tables
from nplhub.datahub.writers import write_tables
from nplhub.services import risk as risk_service
from nplhub.services.datahub import import_tape
from nplhub.web import pages


@pytest.fixture
def platform(sqlite_url: str, tmp_path: Path) -> Platform:
    plat = bootstrap(Settings(database_url=sqlite_url, data_dir=tmp_path / "var"))
    yield plat
    plat.close()


def test_the_risk_page_is_computed_once_per_snapshot_and_language(platform: Platform, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = risk_service.classify_tables

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(risk_service, "classify_tables", counting)
    assert pages.risk(platform, "en") == []  # nothing imported yet
    first = import_tape(platform.uow(), write_tables(sample_tables(), SAMPLE_META, tmp_path / "t1", "csv"))
    page = pages.risk(platform, "en")
    assert first.snapshot_id in page[0].title and len(calls) == 1
    again = pages.risk(platform, "en")
    assert [s.title for s in again] == [s.title for s in page] and len(calls) == 1
    pages.risk(platform, "zh")
    assert len(calls) == 2
    second = import_tape(platform.uow(), write_tables(sample_tables(), SAMPLE_META, tmp_path / "t2", "csv"))
    assert second.snapshot_id in pages.risk(platform, "en")[0].title and len(calls) == 3
