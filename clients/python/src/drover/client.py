"""The drover client: datasets, experiments, system info and health."""

from __future__ import annotations

import json
import os
import pathlib
import socket
import time as _time
import urllib.parse
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Union

from . import _tabular, errors
from ._http import Transport, sse_events
from ._progress import progress_bar

__all__ = ["Client", "Dataset", "Experiment", "DEFAULT_SERVER", "TERMINAL_STATUSES"]

#: The server address used when neither ``address`` nor ``DROVER_SERVER`` is given.
DEFAULT_SERVER = "http://127.0.0.1:12345"

#: Statuses after which an experiment never changes again.
TERMINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})

# Page size of list iteration; the server caps it too.
_PAGE = 100


class Client:
    """A connection to one drover server.

    Args:
        address: the server's URL, e.g. ``"http://10.0.0.5:12345"``. Defaults
            to the ``DROVER_SERVER`` environment variable, then
            ``http://127.0.0.1:12345`` (like the CLI).
        token: the API token. Defaults to ``DROVER_API_TOKEN``.
        timeout: seconds to wait for an answer to one request (uploads and
            predictions included); waiting on an experiment has its own timeout.

    Example::

        import drover
        client = drover.Client()
        ds = client.datasets.create(df, name="churn.csv")
        ex = client.experiments.create(ds, target="churned", wait=True)
        print(ex.leaderboard)
    """

    def __init__(self, address: Optional[str] = None, token: Optional[str] = None, timeout: float = 300.0) -> None:
        address = address or os.environ.get("DROVER_SERVER") or DEFAULT_SERVER
        if token is None:
            token = os.environ.get("DROVER_API_TOKEN") or None
        self._http = Transport(address, token, timeout=timeout)
        self.datasets = Datasets(self)
        self.experiments = Experiments(self)
        self.system = System(self)

    @property
    def address(self) -> str:
        """The server's base URL."""
        return self._http.address

    def health(self) -> Dict[str, Any]:
        """The product's health API (``GET /apis/health/v1``): resources, tasks
        running and scheduled on CPU and GPU, utilization and workers."""
        return self._http.json("GET", "/apis/health/v1")

    def __repr__(self) -> str:
        return f"drover.Client({self.address!r})"

    # -- internal -----------------------------------------------------------------------------

    def _pages(self, path: str, params: Dict[str, Any], limit: Optional[int]) -> Iterator[Dict[str, Any]]:
        """Yields the items of a paginated list, following next_cursor."""
        if limit is not None and limit <= 0:
            return
        left = limit
        cursor: Optional[str] = None
        while True:
            p = dict(params)
            p["limit"] = min(_PAGE, left) if left is not None else _PAGE
            if cursor:
                p["cursor"] = cursor
            body = self._http.json("GET", path, params=p)
            if not isinstance(body, dict) or not isinstance(body.get("items"), list):
                raise errors.Error(f"GET {path}: the answer is not a page of items", code="bad_response")
            for item in body["items"]:
                yield item
                if left is not None:
                    left -= 1
                    if left <= 0:
                        return
            cursor = body.get("next_cursor") or None
            if not cursor or not body["items"]:
                return


def _quote(id: str) -> str:
    return urllib.parse.quote(str(id), safe="")


def _parse_time(v: Any) -> Optional[datetime]:
    """Parses the server's RFC 3339 times (nanoseconds, "Z")."""
    if not v:
        return None
    s = str(v)
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    # Python before 3.11 takes at most 6 fractional digits.
    if "." in s:
        head, _, rest = s.partition(".")
        i = 0
        while i < len(rest) and rest[i].isdigit():
            i += 1
        s = head + "." + rest[:i][:6].ljust(6, "0") + rest[i:]
    try:
        t = datetime.fromisoformat(s)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


# -- datasets ---------------------------------------------------------------------------------


class Dataset:
    """An uploaded CSV file: its id, name, size, rows and (on the detail) columns.

    ``data`` is the server's JSON for it.
    """

    def __init__(self, client: Client, data: Dict[str, Any], full: bool = True) -> None:
        self._client = client
        self.data = data
        self._full = full

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def name(self) -> str:
        return self.data.get("name", "")

    @property
    def rows(self) -> int:
        return int(self.data.get("rows", 0))

    @property
    def size(self) -> int:
        """Size in bytes."""
        return int(self.data.get("size", 0))

    @property
    def sha256(self) -> str:
        return self.data.get("sha256", "")

    @property
    def created_at(self) -> Optional[datetime]:
        return _parse_time(self.data.get("created_at"))

    @property
    def columns(self) -> Any:
        """The columns (name, type, missing, distinct): a DataFrame with pandas, else a list of dicts."""
        if not self._full:
            self.refresh()
        cols = [{k: v for k, v in c.items() if k != "histogram"} for c in self.data.get("columns") or []]
        return _tabular.records(cols, ["name", "type", "missing", "distinct"])

    def refresh(self) -> "Dataset":
        """Reads the dataset again, with its columns."""
        self.data = self._client._http.json("GET", f"/api/v1/datasets/{_quote(self.id)}")
        self._full = True
        return self

    def delete(self) -> None:
        """Deletes the dataset and its file (its owner or an admin).

        Raises Conflict (code ``dataset_in_use``) while a queued or running
        experiment uses it, Forbidden for a dataset another user shared,
        NotFound when it does not exist (any more)."""
        self._client._http.json("DELETE", f"/api/v1/datasets/{_quote(self.id)}")

    def to_dict(self) -> Dict[str, Any]:
        return dict(self.data)

    def __repr__(self) -> str:
        return f"<drover.Dataset {self.id} {self.name!r} rows={self.rows}>"


class Datasets:
    """``client.datasets``: upload, list and read datasets."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def create(self, path_or_dataframe: Any, name: Optional[str] = None) -> Dataset:
        """Uploads a dataset.

        Args:
            path_or_dataframe: a path to a CSV file, a pandas DataFrame (sent
                as CSV without its index), a list of dicts, or CSV bytes.
            name: a label; defaults to the file's name (for a path) or one
                the server makes up from the content's hash.

        Raises:
            BadRequest: the file is not a CSV drover can read (the code says why:
                ``empty_file``, ``ragged_rows``, ``duplicate_column``, ...).
            PayloadTooLarge: over the server's upload limit.
        """
        path, temporary, base = _tabular.csv_source(path_or_dataframe)
        try:
            size = os.path.getsize(path)
            with open(path, "rb") as f:
                with self._client._http.open(
                    "POST",
                    "/api/v1/datasets",
                    params={"name": name or base},
                    body=f,
                    content_type="text/csv",
                    length=size,
                ) as resp:
                    data = json.loads(resp.read())
        finally:
            if temporary:
                os.remove(path)
        return Dataset(self._client, data)

    def get(self, id: str) -> Dataset:
        """One dataset, with its columns. Raises NotFound when there is none."""
        return Dataset(self._client, self._client._http.json("GET", f"/api/v1/datasets/{_quote(id)}"))

    def delete(self, id: str) -> None:
        """Deletes a dataset by id; see :meth:`Dataset.delete`."""
        Dataset(self._client, {"id": id}, full=False).delete()

    def list(
        self,
        limit: Optional[int] = None,
        q: Optional[str] = None,
        order: Optional[str] = None,
        owner: Optional[str] = None,
    ) -> Iterator[Dataset]:
        """Iterates over datasets, newest first, fetching pages as it goes.

        Args:
            limit: stop after this many (None: all of them).
            q: only datasets whose id or name contains this text.
            order: ``"desc"`` (newest first, the default) or ``"asc"``.
            owner: admins: only this user's datasets.
        """
        for item in self._client._pages("/api/v1/datasets", {"q": q, "order": order, "owner": owner}, limit):
            yield Dataset(self._client, item, full=False)


# -- experiments ------------------------------------------------------------------------------


class Experiment:
    """One experiment on the server.

    Its state is what the server said when it was last read: call
    :meth:`refresh` (or :meth:`wait`) to read it again. ``data`` is the
    server's JSON for it.
    """

    def __init__(self, client: Client, data: Dict[str, Any], full: bool = True) -> None:
        self._client = client
        self.data = data
        self._full = full

    # -- state --------------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def status(self) -> str:
        """``queued``, ``running``, ``succeeded``, ``failed`` or ``cancelled``."""
        return self.data.get("status", "")

    @property
    def done(self) -> bool:
        """Whether the experiment has ended (succeeded, failed or cancelled)."""
        return self.status in TERMINAL_STATUSES

    @property
    def tags(self) -> List[str]:
        """The experiment's tags (set with :meth:`tag`, :meth:`untag`, :meth:`set_tags`)."""
        return list(self.data.get("tags") or [])

    @property
    def name(self) -> str:
        return self.spec.get("name", "") or self.data.get("name", "")

    @property
    def spec(self) -> Dict[str, Any]:
        """What was asked for: dataset_id, target, task, scorer, dials, models, ..."""
        return self.data.get("spec") or {}

    @property
    def dataset_id(self) -> str:
        return self.spec.get("dataset_id", "") or self.data.get("dataset_id", "")

    @property
    def target(self) -> str:
        return self.spec.get("target", "") or self.data.get("target", "")

    @property
    def progress(self) -> float:
        """The running attempt's progress, 0 to 1."""
        return float(self.data.get("progress") or 0.0)

    @property
    def message(self) -> str:
        return self.data.get("message", "")

    @property
    def error(self) -> Optional[Dict[str, Any]]:
        """Why it failed: ``{"code", "message"}``, or None."""
        return self.data.get("error")

    @property
    def failure_kind(self) -> str:
        """``user``, ``infra``, ``timeout`` or ``cancelled`` for an experiment that did not succeed."""
        return self.data.get("failure_kind", "")

    @property
    def queue_position(self) -> Optional[int]:
        """1-based place in its queue while queued."""
        return self.data.get("queue_position") or None

    @property
    def wait_reason(self) -> str:
        """Why a queued experiment waits (e.g. "all 4 processors busy")."""
        return self.data.get("wait_reason", "")

    @property
    def created_at(self) -> Optional[datetime]:
        return _parse_time(self.data.get("created_at"))

    @property
    def started_at(self) -> Optional[datetime]:
        return _parse_time(self.data.get("started_at"))

    @property
    def finished_at(self) -> Optional[datetime]:
        return _parse_time(self.data.get("finished_at"))

    def refresh(self) -> "Experiment":
        """Reads the experiment's state from the server again."""
        self.data = self._client._http.json("GET", self._path())
        self._full = True
        return self

    def to_dict(self) -> Dict[str, Any]:
        return dict(self.data)

    # -- results ------------------------------------------------------------------------------

    @property
    def summary(self) -> Optional[Dict[str, Any]]:
        """The engine's report of a finished experiment (task, scorer, leaderboard,
        best model, metrics, rows, features), or None before it has one."""
        if not self._full or (self.data.get("summary") is None and not self.done):
            self.refresh()
        return self.data.get("summary")

    @property
    def leaderboard(self) -> Any:
        """The models tried, best first as the engine ranked them: a DataFrame with
        columns model, cv_score, cv_std, fit_seconds and params when pandas is
        installed, else a list of dicts. Empty before the experiment has results."""
        s = self.summary or {}
        rows = [
            {
                "model": r.get("model"),
                "cv_score": r.get("cv_score"),
                "cv_std": r.get("cv_std"),
                "fit_seconds": r.get("fit_seconds"),
                "params": r.get("params") or {},
            }
            for r in s.get("leaderboard") or []
        ]
        return _tabular.records(rows, ["model", "cv_score", "cv_std", "fit_seconds", "params"])

    @property
    def metrics(self) -> Dict[str, float]:
        """The best model's metrics (out-of-fold), e.g. ``{"auc": 0.91, "logloss": 0.33}``."""
        s = self.summary or {}
        return dict(s.get("metrics") or {})

    @property
    def artifacts(self) -> List[Dict[str, Any]]:
        """The files of the succeeded attempt: ``[{"name", "size"}, ...]``.

        Raises Conflict while the experiment has not succeeded."""
        return self._client._http.json("GET", self._path("/artifacts"))

    def download(self, dir: Union[str, "os.PathLike[str]"]) -> List[pathlib.Path]:
        """Downloads every artifact (model, leaderboard, predictions, logs) into
        ``dir``, keeping their relative names; returns the paths written."""
        root = pathlib.Path(dir).resolve()
        out: List[pathlib.Path] = []
        for a in self.artifacts:
            name = str(a["name"])
            dst = (root / name).resolve()
            if root != dst and root not in dst.parents:
                raise errors.Error(f"artifact name {name!r} escapes {root}", code="bad_name")
            dst.parent.mkdir(parents=True, exist_ok=True)
            path = "/".join(_quote(p) for p in name.split("/"))
            tmp = dst.with_name(dst.name + ".part")
            with self._client._http.open("GET", self._path("/artifacts/" + path)) as resp, open(tmp, "wb") as f:
                while True:
                    chunk = resp.read(1 << 16)
                    if not chunk:
                        break
                    f.write(chunk)
            os.replace(tmp, dst)
            out.append(dst)
        return out

    def predict(self, dataframe_or_path: Any, explain: bool = False) -> Any:
        """Scores rows with the experiment's best model.

        Args:
            dataframe_or_path: a pandas DataFrame, a path to a CSV file, a list
                of dicts or CSV bytes, with the training columns (the target
                may be left out).
            explain: also return per-row feature contributions (columns
                ``contrib.<feature>`` and ``contrib.bias``), where the server
                supports explanations.

        Returns:
            The predictions: a DataFrame with pandas, else a list of dicts.
        """
        path, temporary, _ = _tabular.csv_source(dataframe_or_path)
        try:
            size = os.path.getsize(path)
            with open(path, "rb") as f:
                with self._client._http.open(
                    "POST",
                    self._path("/predict"),
                    params={"explain": True} if explain else None,
                    body=f,
                    content_type="text/csv",
                    length=size,
                    headers={"Accept": "text/csv"},
                ) as resp:
                    raw = resp.read()
        finally:
            if temporary:
                os.remove(path)
        return _tabular.read_csv(raw)

    # -- control ------------------------------------------------------------------------------

    def cancel(self) -> "Experiment":
        """Cancels a queued or running experiment (it is never retried).

        Raises Conflict when it has already ended."""
        self.data = self._client._http.json("POST", self._path("/cancel"))
        self._full = True
        return self

    def finish(self) -> "Experiment":
        """Asks a running experiment to stop its search and end with the best
        model found so far; :meth:`wait` then sees it succeed.

        Raises Conflict when it is not running."""
        self.data = self._client._http.json("POST", self._path("/finish"))
        self._full = True
        return self

    def rename(self, name: str) -> "Experiment":
        """Renames the experiment (``""`` clears the name); any state, its owner or an admin."""
        return self._patch({"name": name})

    def tag(self, *tags: str) -> "Experiment":
        """Adds tags (letters, digits and ``-_.:/+=@#``, at most 64 bytes each, 32 in all).

        Raises BadRequest (with ``field``, e.g. ``add_tags[1]``) for a tag that is not allowed."""
        return self._patch({"add_tags": list(tags)})

    def untag(self, *tags: str) -> "Experiment":
        """Takes tags off."""
        return self._patch({"remove_tags": list(tags)})

    def set_tags(self, tags: Iterable[str]) -> "Experiment":
        """Replaces every tag (an empty list clears them)."""
        return self._patch({"tags": list(tags)})

    def _patch(self, change: Dict[str, Any]) -> "Experiment":
        self.data = self._client._http.json("PATCH", self._path(), payload=change)
        self._full = True
        return self

    def delete(self) -> None:
        """Deletes a finished experiment with its events and artifacts (its
        owner or an admin).

        Raises Conflict (code ``conflict``) while it is queued or running:
        :meth:`cancel` it first."""
        self._client._http.json("DELETE", self._path())

    def wait(self, timeout: Optional[float] = None, progress: bool = True) -> "Experiment":
        """Follows the experiment until it ends and returns it (refreshed).

        It does not raise when the experiment fails: look at :attr:`status`
        and :attr:`error`.

        Args:
            timeout: seconds to wait at most (None: as long as it takes);
                past it :class:`drover.Timeout` is raised and the experiment
                goes on.
            progress: draw a progress bar on stderr (tqdm when installed).
        """
        deadline = None if timeout is None else _time.monotonic() + timeout
        bar = progress_bar(self.id, progress and not self.done)
        try:
            for ev in self._follow(deadline):
                if ev.get("type") == "progress":
                    bar.update(float(ev.get("fraction") or 0.0), ev.get("message") or "")
                elif ev.get("type") == "status" and ev.get("status"):
                    self.data["status"] = ev["status"]
            if self.status == "succeeded":
                bar.update(1.0, "succeeded")
        finally:
            bar.close()
        return self

    def logs(self, follow: bool = False) -> Iterator[Dict[str, Any]]:
        """Iterates over the experiment's events (progress, log, status, result),
        oldest first, as dicts with ``seq``, ``time``, ``type``, ``message``, ...

        Args:
            follow: keep reading the server's event stream until the
                experiment ends (then the iterator stops), instead of only the
                events stored so far.
        """
        if not follow:
            evs = self._client._http.json("GET", self._path("/events"), params={"stream": False, "after": 0})
            yield from evs or []
            return
        yield from self._follow(None)

    def _follow(self, deadline: Optional[float]) -> Iterator[Dict[str, Any]]:
        """Reads the event stream, resuming after a dropped connection, until
        the "end" event (which updates self.data) or the deadline."""
        after = 0
        failures = 0
        while True:
            wait = 60.0
            if deadline is not None:
                wait = deadline - _time.monotonic()
                if wait <= 0:
                    raise errors.Timeout(f"experiment {self.id} still {self.status} after the wait's timeout", code="timeout")
                # The server sends a keepalive every 15 s; a read timeout
                # bounds how long past the deadline we can be.
                wait = min(wait, 20.0)
            try:
                resp = self._client._http.open(
                    "GET",
                    self._path("/events"),
                    params={"after": after},
                    headers={"Accept": "text/event-stream"},
                    timeout=wait if deadline is not None else 60.0,
                )
            except errors.ConnectionError:
                failures += 1
                if failures > 5:
                    raise
                _time.sleep(0.5 * failures)
                continue
            try:
                with resp:
                    for name, _, data in sse_events(resp):
                        if name == "end":
                            self.data = json.loads(data)
                            self._full = True
                            return
                        try:
                            ev = json.loads(data)
                        except ValueError:
                            continue
                        failures = 0
                        after = max(after, int(ev.get("seq") or 0))
                        yield ev
                        if deadline is not None and _time.monotonic() > deadline:
                            raise errors.Timeout(
                                f"experiment {self.id} still {self.status} after the wait's timeout", code="timeout"
                            )
            except (socket.timeout, TimeoutError, OSError) as e:
                if isinstance(e, errors.Error):
                    raise
                failures += 1
                if failures > 5 and deadline is None:
                    raise errors.ConnectionError(f"event stream of {self.id} keeps failing: {e}", code="unreachable") from None
            # The stream closed without an end event: resume after what we saw.

    def _path(self, suffix: str = "") -> str:
        return f"/api/v1/experiments/{_quote(self.id)}{suffix}"

    def __repr__(self) -> str:
        return f"<drover.Experiment {self.id} {self.status}>"


class Experiments:
    """``client.experiments``: create, list and read experiments."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def create(
        self,
        dataset: Union[str, Dataset],
        target: Optional[str] = None,
        task: Optional[str] = None,
        scorer: Optional[str] = None,
        accuracy: Optional[int] = None,
        time: Optional[int] = None,
        interpretability: Optional[int] = None,
        gpus: int = 0,
        models: Union[str, Sequence[str], None] = None,
        params: Optional[Mapping[str, Any]] = None,
        folds: Optional[int] = None,
        priority: Optional[str] = None,
        name: Optional[str] = None,
        wait: bool = False,
        *,
        seed: Optional[int] = None,
        command: Optional[str] = None,
        timeout: Optional[float] = None,
        progress: bool = True,
    ) -> Experiment:
        """Queues an AutoML experiment.

        Args:
            dataset: a :class:`Dataset` or its id.
            target: the column to predict.
            task: ``auto`` (default), ``binary``, ``multiclass`` or ``regression``.
            scorer: the metric to optimise (default: the task's), e.g. ``auc``, ``rmse``.
            accuracy, time, interpretability: the dials, 1 to 10 (None: drover chooses).
            gpus: GPUs the experiment needs (singlenode and multinode workers only).
            models: model families to try, e.g. ``["glm", "gbm"]`` or ``"glm,gbm"``.
            params: fixed model parameters, e.g. ``{"max_depth": 4}``.
            folds: cross-validation folds.
            priority: ``high``, ``normal`` or ``low``, where the server schedules by priority.
            name: a label.
            wait: follow the experiment until it ends (see :meth:`Experiment.wait`);
                ``timeout`` and ``progress`` go to that wait.
            seed: the random seed.
            command: run this command instead of the engine (servers that allow it).

        Raises:
            BadRequest: a parameter is wrong (``field`` names which, where the server says).
            NotFound: no such dataset (code ``dataset_not_found``).
            QuotaExceeded: over this user's queue quota.
        """
        spec: Dict[str, Any] = {"dataset_id": dataset.id if isinstance(dataset, Dataset) else str(dataset)}
        if isinstance(models, str):
            models = [m.strip() for m in models.split(",") if m.strip()]
        optional = {
            "target": target,
            "task": task,
            "scorer": scorer,
            "accuracy": accuracy,
            "time": time,
            "interpretability": interpretability,
            "models": list(models) if models is not None else None,
            "params": {str(k): _param_str(v) for k, v in params.items()} if params else None,
            "folds": folds,
            "priority": priority,
            "name": name,
            "seed": seed,
            "command": command,
        }
        spec.update({k: v for k, v in optional.items() if v is not None})
        if gpus:
            spec["gpus"] = gpus
        ex = Experiment(self._client, self._client._http.json("POST", "/api/v1/experiments", payload=spec))
        if wait:
            ex.wait(timeout=timeout, progress=progress)
        return ex

    def get(self, id: str) -> Experiment:
        """One experiment with its summary. Raises NotFound when there is none."""
        return Experiment(self._client, self._client._http.json("GET", f"/api/v1/experiments/{_quote(id)}"))

    def delete(self, id: str) -> None:
        """Deletes a finished experiment by id; see :meth:`Experiment.delete`."""
        Experiment(self._client, {"id": id}, full=False).delete()

    def list(
        self,
        status: Union[str, Iterable[str], None] = None,
        dataset: Union[str, Dataset, None] = None,
        limit: Optional[int] = None,
        q: Optional[str] = None,
        sort: Optional[str] = None,
        order: Optional[str] = None,
        owner: Optional[str] = None,
        task: Optional[str] = None,
        worker: Optional[str] = None,
        priority: Optional[str] = None,
        tag: Optional[str] = None,
    ) -> Iterator[Experiment]:
        """Iterates over experiments, newest first, fetching pages as it goes.

        The rows are slim (no leaderboard); an experiment's :attr:`~Experiment.leaderboard`
        or :attr:`~Experiment.summary` reads its detail when asked for.

        Args:
            status: only these statuses: one, a comma-separated string or a list.
            dataset: only experiments on this dataset (a Dataset or its id).
            limit: stop after this many (None: all of them).
            q: only experiments whose id, name or target contains this text.
            sort: ``"created"`` (the default), ``"duration"`` or ``"score"`` (the best
                model's CV score); rows without a duration or score come last.
            order: ``"desc"`` (newest, longest, highest first; the default) or ``"asc"``.
            owner: admins: only this user's experiments.
            task: only experiments that ran this task (binary, multiclass, regression).
            worker: only experiments run by the worker of this name.
            priority: only this priority class (high, normal, low).
            tag: only experiments with this tag (matched exactly).
        """
        if status is not None and not isinstance(status, str):
            status = ",".join(status)
        ds = dataset.id if isinstance(dataset, Dataset) else dataset
        for item in self._client._pages("/api/v1/experiments", {"status": status or None, "dataset": ds, "q": q, "sort": sort, "order": order,
             "owner": owner, "task": task, "worker": worker, "priority": priority, "tag": tag}, limit):
            yield Experiment(self._client, item, full=False)


def _param_str(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


class System:
    """``client.system``: what the server runs on."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def info(self) -> Dict[str, Any]:
        """Resources > System Info: worker mode, workers, processors, queue depths."""
        return self._client._http.json("GET", "/api/v1/system/info")
