"""Dataset.delete() and Experiment.delete() against a real server."""

from __future__ import annotations

import pathlib

import pytest

import drover
from conftest import EXAMPLES, Server

TOKEN = "py-delete-token-0123456789abcdef"


@pytest.fixture(scope="module")
def cmd_server(drover_bin, tmp_path_factory):
    """A multiprocessing server with a token that runs command experiments."""
    s = Server(drover_bin, tmp_path_factory.mktemp("del"),
               {"DROVER_WORKER_MODE": "multiprocessing", "DROVER_ALLOW_COMMAND_EXPERIMENTS": "true"}, token=TOKEN)
    yield s
    s.stop()


def test_delete(cmd_server, tmp_path):
    admin = drover.Client(cmd_server.url, token=TOKEN)
    ds = admin.datasets.create(EXAMPLES / "iris.csv")
    data = pathlib.Path(cmd_server.dir) / "data"
    blob = data / "blobs" / "datasets" / "sha256" / ds.sha256
    assert blob.exists()
    gate = tmp_path / "go"
    ex = admin.experiments.create(
        ds, target="", command=f"echo x > $DROVER_OUTPUT_DIR/out.txt; while [ ! -f {gate} ]; do sleep 0.05; done")
    ex.refresh()

    with pytest.raises(drover.Conflict) as err:
        ds.delete()
    assert err.value.code == "dataset_in_use" and err.value.status == 409
    with pytest.raises(drover.Conflict) as err:
        ex.delete()
    assert err.value.code == "conflict"

    gate.touch()
    ex.wait(timeout=60, progress=False)
    assert ex.status == "succeeded", ex.error
    arts = data / "blobs" / "artifacts" / ex.id
    assert arts.exists()
    ex.delete()
    assert not arts.exists()
    with pytest.raises(drover.NotFound):
        admin.experiments.get(ex.id)
    with pytest.raises(drover.NotFound):
        ex.delete()

    admin.datasets.delete(ds.id)
    assert not blob.exists()
    with pytest.raises(drover.NotFound):
        admin.datasets.get(ds.id)
    with pytest.raises(drover.NotFound):
        ds.delete()


def test_rename_and_tags(cmd_server):
    client = drover.Client(cmd_server.url, token=TOKEN)
    ds = client.datasets.create(EXAMPLES / "iris.csv")
    ex = client.experiments.create(ds, target="", command="true", name="first")
    assert ex.name == "first" and ex.tags == []
    ex.rename("baseline")
    assert ex.name == "baseline"
    ex.tag("prod", "team:ml")
    ex.untag("prod")
    assert ex.tags == ["team:ml"]
    ex.set_tags(["a", "b"])
    assert client.experiments.get(ex.id).tags == ["a", "b"]
    other = client.experiments.create(ds, target="", command="true", name="second")
    assert [e.id for e in client.experiments.list(tag="a")] == [ex.id]
    other.tag("a")
    assert [e.id for e in client.experiments.list(tag="a")] == [other.id, ex.id]
    assert [e.id for e in client.experiments.list(tag="b", q="baseline")] == [ex.id]
    with pytest.raises(drover.BadRequest) as err:
        list(client.experiments.list(tag="not ok"))
    assert err.value.field == "tag"
    with pytest.raises(drover.BadRequest) as err:
        ex.tag("ok", "not ok")
    assert err.value.code == "bad_request" and err.value.field == "add_tags[1]"
    logs = [e for e in ex.logs() if e.get("actor")]
    assert [e["message"] for e in logs][:3] == [
        "queued by admin", 'renamed to "baseline" by admin', "tags set to prod, team:ml by admin"], logs
    assert all(e["actor"] == "admin" for e in logs)
