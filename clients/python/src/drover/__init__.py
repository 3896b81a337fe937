"""drover: drive a drover AutoML server from Python and notebooks.

Standard library only; DataFrames in and out when pandas is installed, and a
tqdm progress bar when tqdm is.

    import drover
    client = drover.Client("http://127.0.0.1:12345")
    ds = client.datasets.create("train.csv")
    ex = client.experiments.create(ds, target="label", wait=True)
    ex.leaderboard
    preds = ex.predict(test_df)

Errors of the API are exceptions carrying its ``code``, ``message`` and
``field``: :class:`BadRequest`, :class:`Unauthorized`, :class:`Forbidden`,
:class:`NotFound`, :class:`Conflict`, :class:`PayloadTooLarge`,
:class:`QuotaExceeded`, :class:`ServerError`, all subclasses of :class:`Error`.
"""

from .client import DEFAULT_SERVER, TERMINAL_STATUSES, Client, Dataset, Datasets, Experiment, Experiments, System
from .errors import (
    BadRequest,
    Conflict,
    ConnectionError,
    Error,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    QuotaExceeded,
    ServerError,
    Timeout,
    Unauthorized,
)

__version__ = "0.1.0"

__all__ = [
    "Client",
    "Dataset",
    "Datasets",
    "Experiment",
    "Experiments",
    "System",
    "DEFAULT_SERVER",
    "TERMINAL_STATUSES",
    "Error",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "Conflict",
    "PayloadTooLarge",
    "QuotaExceeded",
    "ServerError",
    "ConnectionError",
    "Timeout",
]
