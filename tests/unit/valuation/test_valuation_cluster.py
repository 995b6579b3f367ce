"""`local:N` clusters start their workers without MALLOC_TRIM_THRESHOLD_; remote ones are checked."""

from __future__ import annotations

import pytest

from nplhub.domain.errors import DomainError
from nplhub.services.valuation_cluster import TRIM_VARIABLE, dask_client, local_workers, worker_warnings


def test_local_addresses_name_a_number_of_workers() -> None:
    assert local_workers("local:2") == 2
    assert local_workers("tcp://10.0.0.5:8786") is None
    for bad in ("local:", "local:0", "local:two", "local:-1"):
        with pytest.raises(DomainError, match="local:N"):
            local_workers(bad)


def test_a_local_cluster_has_the_workers_asked_for_without_the_trim_threshold(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("distributed")
    import os

    # as an earlier Dask cluster in the same process leaves it (its nanny writes it into os.environ)
    monkeypatch.setenv(TRIM_VARIABLE, "65536")
    with dask_client("local:2") as client:
        assert len(client.scheduler_info()["workers"]) == 2
        assert set(client.run(lambda: os.environ.get(TRIM_VARIABLE)).values()) == {None}
        assert worker_warnings(client) == []
    assert os.environ[TRIM_VARIABLE] == "65536"  # given back afterwards


def test_workers_started_with_the_trim_threshold_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("distributed")
    import dask

    monkeypatch.delenv(TRIM_VARIABLE, raising=False)  # the nanny leaks it into os.environ: undone after

    # Dask's default: the nanny sets MALLOC_TRIM_THRESHOLD_=65536 before it starts each worker
    with dask.config.set({f"distributed.nanny.pre-spawn-environ.{TRIM_VARIABLE}": 65536}), \
            distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                     dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        warnings = worker_warnings(client)
    assert len(warnings) == 1 and f"{TRIM_VARIABLE}=65536" in warnings[0]
