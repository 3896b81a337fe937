"""The notebook path against real servers: DataFrame → dataset → experiment
with wait → leaderboard DataFrame → predict DataFrame → download."""

from __future__ import annotations

import json

import drover
from conftest import EXAMPLES


def test_notebook_walk(any_server, pd, tmp_path, capsys):
    client = drover.Client(any_server)
    df = pd.read_csv(EXAMPLES / "iris.csv")

    ds = client.datasets.create(df, name="iris-from-pandas.csv")
    assert ds.id.startswith("ds_")
    assert ds.name == "iris-from-pandas.csv"
    assert ds.rows == len(df) == 150
    cols = ds.columns
    assert isinstance(cols, pd.DataFrame)
    assert list(cols["name"]) == list(df.columns)  # the index did not travel as a column
    assert client.datasets.get(ds.id).sha256 == ds.sha256

    ex = client.experiments.create(ds, target="species", accuracy=1, time=1, name="py-walk", wait=True, timeout=120)
    assert ex.status == "succeeded", (ex.status, ex.error)
    assert ex.name == "py-walk"
    assert ex.done and ex.finished_at is not None and ex.finished_at >= ex.created_at
    # wait drew a progress bar on stderr (the text one: tqdm is not a dependency).
    err = capsys.readouterr().err
    assert ex.id in err and "100%" in err

    lb = ex.leaderboard
    assert isinstance(lb, pd.DataFrame)
    assert list(lb.columns) == ["model", "cv_score", "cv_std", "fit_seconds", "params"]
    assert len(lb) >= 1 and lb["cv_score"].notna().all()
    assert ex.summary["task"] == "multiclass"
    assert ex.metrics and all(isinstance(v, float) for v in ex.metrics.values())

    test = df.drop(columns=["species"]).head(20)
    pred = ex.predict(test)
    assert isinstance(pred, pd.DataFrame)
    assert len(pred) == 20
    # The model is good enough on iris to get the training rows mostly right.
    label_col = [c for c in pred.columns if c in ("prediction", "predict", "species", "label")]
    assert label_col, f"no label column in {list(pred.columns)}"
    hits = (pred[label_col[0]].astype(str).values == df["species"].head(20).astype(str).values).mean()
    assert hits >= 0.8, hits

    # predict from a path gives the same answer as from a DataFrame.
    p = tmp_path / "test.csv"
    test.to_csv(p, index=False)
    assert ex.predict(p).equals(pred)

    names = {a["name"] for a in ex.artifacts}
    assert {"model/model.json", "leaderboard.json", "summary.json"} <= names
    out = tmp_path / "dl"
    files = ex.download(out)
    assert {str(f.relative_to(out.resolve())) for f in files} == names
    got = json.loads((out / "summary.json").read_text())
    assert got["scorer"] == ex.summary["scorer"]
    assert not list(out.rglob("*.part"))

    # The experiment is found again by id and in the list.
    again = client.experiments.get(ex.id)
    assert again.status == "succeeded" and again.leaderboard.equals(lb)
    listed = [e.id for e in client.experiments.list(dataset=ds)]
    assert listed == [ex.id]


def test_lists_without_pandas_shape(mp_server, iris_path):
    """Paths and lists of dicts work too (what users without pandas pass)."""
    client = drover.Client(mp_server.url)
    rows = [{"x": i, "y": i % 2} for i in range(40)]
    ds = client.datasets.create(rows, name="dicts.csv")
    assert ds.rows == 40
    ds2 = client.datasets.create(iris_path)
    assert ds2.name == "iris.csv"
    assert client.datasets.create(iris_path.read_bytes(), name="bytes.csv").sha256 == ds2.sha256


def test_quickstart_example(mp_server, pd):
    """examples/quickstart.py runs as documented against a real server."""
    import subprocess
    import sys

    from conftest import REPO, clean_env

    env = clean_env({"DROVER_SERVER": mp_server.url})
    res = subprocess.run([sys.executable, str(REPO / "examples" / "quickstart.py")], env=env, capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "downloaded" in res.stdout and "metrics:" in res.stdout
