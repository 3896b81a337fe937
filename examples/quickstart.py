"""drover from Python: upload a DataFrame, run an experiment, look at the
leaderboard, predict and download the model.

    pip install ./clients/python        # in a virtual environment (see docs/python.md)
    drover server &                     # or point DROVER_SERVER at a running one
    python3 examples/quickstart.py
"""

import pathlib
import sys
import tempfile

import drover

try:
    import pandas as pd
except ImportError:
    sys.exit("this example uses pandas (Debian: python3-pandas); the client itself does not need it")

here = pathlib.Path(__file__).parent
df = pd.read_csv(here / "pima_diabetes.csv")
train, test = df.iloc[:600], df.iloc[600:]

# Client() reads DROVER_SERVER and DROVER_API_TOKEN, like the CLI.
client = drover.Client()
print("server:", client.address, "mode:", client.system.info()["worker_mode"])

ds = client.datasets.create(train, name="pima-train.csv")
print(f"dataset {ds.id}: {ds.rows} rows")
print(ds.columns)

try:
    ex = client.experiments.create(ds, target="class", accuracy=2, time=2, name="pima quickstart", wait=True)
except drover.BadRequest as e:
    sys.exit(f"the server refused the experiment: {e.code}: {e.message}")

if ex.status != "succeeded":
    sys.exit(f"experiment {ex.id} {ex.status}: {ex.error}")

print(ex.leaderboard)
print("metrics:", ex.metrics)

pred = ex.predict(test.drop(columns=["class"]))
print(pred.head())

out = pathlib.Path(tempfile.mkdtemp(prefix="drover-quickstart-"))
files = ex.download(out)
print(f"downloaded {len(files)} artifacts to {out}")
