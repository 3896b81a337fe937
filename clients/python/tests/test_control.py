"""cancel, finish, wait with a timeout, logs: on long experiments of a real server."""

from __future__ import annotations

import time

import pytest

import drover
from conftest import EXAMPLES


def long_experiment(client):
    ds = client.datasets.create(EXAMPLES / "slid_wages.csv")
    # The highest dials make a search of many minutes.
    return client.experiments.create(ds, target="wages", accuracy=10, time=10)


def wait_running(ex, progress=0.0, timeout=90):
    deadline = time.monotonic() + timeout
    while True:
        ex.refresh()
        if ex.status == "running" and ex.progress > progress:
            return
        assert not ex.done, f"{ex.id} ended early: {ex.status} {ex.error}"
        assert time.monotonic() < deadline, f"{ex.id} not running after {timeout}s: {ex.status}"
        time.sleep(0.1)


def test_cancel(any_server):
    client = drover.Client(any_server)
    ex = long_experiment(client)
    with pytest.raises(drover.Timeout):
        ex.wait(timeout=0.5, progress=False)
    wait_running(ex)
    ex.cancel()
    ex.wait(timeout=60, progress=False)
    assert ex.status == "cancelled" and ex.failure_kind == "cancelled"
    with pytest.raises(drover.Conflict) as err:
        ex.cancel()
    assert err.value.code == "conflict" and err.value.status == 409
    with pytest.raises(drover.Conflict) as err:
        ex.artifacts
    assert err.value.code == "not_succeeded"


def test_finish(mp_server, pd):
    client = drover.Client(mp_server.url)
    ex = long_experiment(client)
    wait_running(ex, progress=0.01)
    ex.finish()
    ex.wait(timeout=90, progress=False)
    assert ex.status == "succeeded", (ex.status, ex.error)
    assert len(ex.leaderboard) >= 1
    msgs = [e.get("message", "") for e in ex.logs()]
    assert any("finish requested: stopping the search" in m for m in msgs), msgs[-10:]
    with pytest.raises(drover.Conflict):
        ex.finish()


def test_logs(mp_server, iris_path):
    client = drover.Client(mp_server.url)
    ds = client.datasets.create(iris_path)
    ex = client.experiments.create(ds, target="species", accuracy=1, time=1)
    followed = list(ex.logs(follow=True))  # ends by itself when the experiment does
    assert ex.status == "succeeded"
    stored = list(ex.logs())
    assert [e["seq"] for e in followed] == [e["seq"] for e in stored]
    types = {e["type"] for e in stored}
    assert {"status", "progress"} <= types
    assert stored[0]["status"] == "queued"
    assert [e["seq"] for e in stored] == sorted(e["seq"] for e in stored)


def test_list_pages_and_filters(mp_server, iris_path):
    client = drover.Client(mp_server.url)
    ds = client.datasets.create(iris_path, name="paging.csv")
    made = [client.experiments.create(ds, target="species", accuracy=1, time=1, name=f"page-{i}") for i in range(5)]
    for ex in made:
        ex.wait(timeout=120, progress=False)
    ids = [e.id for e in client.experiments.list(dataset=ds.id)]
    assert ids == [e.id for e in reversed(made)]  # newest first
    assert [e.id for e in client.experiments.list(dataset=ds, limit=2)] == ids[:2]
    assert all(e.status == "succeeded" for e in client.experiments.list(status="succeeded", dataset=ds))
    assert list(client.experiments.list(status=["failed"], dataset=ds)) == []
    # A slim row reads its leaderboard from the detail when asked.
    row = next(client.experiments.list(dataset=ds, limit=1))
    assert len(row.leaderboard) >= 1
    assert any(d.id == ds.id for d in client.datasets.list())
    assert len(list(client.datasets.list(limit=1))) == 1
    # Sorts and filters are the server's; every row has a score here.
    by_score = list(client.experiments.list(dataset=ds, sort="score", order="asc"))
    scores = [e.data["best_score"] for e in by_score]
    assert scores == sorted(scores) and len(scores) == 5
    assert [e.id for e in client.experiments.list(dataset=ds, order="asc")] == [e.id for e in made]
    assert len(list(client.experiments.list(dataset=ds, task="multiclass", priority="normal"))) == 5
    with pytest.raises(drover.BadRequest) as err:
        list(client.experiments.list(sort="name"))
    assert err.value.field == "sort"


def test_system_and_health(any_server):
    client = drover.Client(any_server)
    info = client.system.info()
    assert info["worker_mode"] in ("multiprocessing", "singlenode")
    assert info["total_processors"] >= 1
    h = client.health()
    for key in ("version", "is_idle", "resources", "tasks", "utilization", "workers"):
        assert key in h
    assert h["resources"]["cpu_cores"] >= 1
