"""CSV in and out: pandas DataFrames when pandas is installed, lists of dicts otherwise."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from typing import Any, Dict, List, Optional, Tuple

try:  # pandas is optional
    import pandas as _pd  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - exercised where pandas is missing
    _pd = None


def has_pandas() -> bool:
    return _pd is not None


def is_dataframe(obj: Any) -> bool:
    return _pd is not None and isinstance(obj, _pd.DataFrame)


def records(rows: List[Dict[str, Any]], columns: Optional[List[str]] = None) -> Any:
    """A DataFrame of rows when pandas is there, else the rows themselves."""
    if _pd is None:
        return rows
    return _pd.DataFrame(rows, columns=columns)


def read_csv(raw: bytes) -> Any:
    """Parses a CSV answer of the server."""
    if _pd is not None:
        if not raw.strip():
            return _pd.DataFrame()
        return _pd.read_csv(io.BytesIO(raw))
    text = raw.decode("utf-8")
    return [dict(r) for r in csv.DictReader(io.StringIO(text))]


def csv_source(data: Any) -> Tuple[str, bool, Optional[str]]:
    """Turns what a user passes (a path, a DataFrame, a list of dicts, bytes)
    into a path of a CSV file to stream. Returns (path, is_temporary, name):
    temporary files are the caller's to remove; name is the file's base name
    for a path, None otherwise."""
    if isinstance(data, (str, os.PathLike)):
        path = os.fspath(data)
        if os.path.isdir(path):
            raise ValueError(f"drover: {path} is a directory, not a CSV file")
        if not os.path.exists(path):
            raise FileNotFoundError(f"drover: no such file: {path}")
        return path, False, os.path.basename(path)
    fd, tmp = tempfile.mkstemp(prefix="drover-", suffix=".csv")
    try:
        with os.fdopen(fd, "wb") as f:
            if is_dataframe(data):
                # index=False: the index is pandas' bookkeeping, not a feature.
                data.to_csv(f, index=False)
            elif isinstance(data, (bytes, bytearray)):
                f.write(data)
            elif isinstance(data, list) and all(isinstance(r, dict) for r in data):
                cols: List[str] = []
                for r in data:
                    for k in r:
                        if k not in cols:
                            cols.append(k)
                w = io.TextIOWrapper(f, encoding="utf-8", newline="")
                wr = csv.DictWriter(w, fieldnames=cols)
                wr.writeheader()
                wr.writerows(data)
                w.flush()
                w.detach()
            else:
                raise TypeError(
                    "drover: want a path to a CSV file, a pandas DataFrame, a list of dicts or CSV bytes, "
                    f"got {type(data).__name__}"
                )
    except BaseException:
        os.remove(tmp)
        raise
    return tmp, True, None
