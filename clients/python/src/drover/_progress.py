"""Progress bars for Experiment.wait: tqdm when installed, else one line of text."""

from __future__ import annotations

import sys
from typing import IO, Any, Optional


class _TextBar:
    """A single line redrawn in place: ``ex_1a2b [#######.....]  58%  message``."""

    width = 30

    def __init__(self, label: str, stream: Optional[IO[str]] = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.last = ""

    def update(self, fraction: float, message: str = "") -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        filled = int(round(fraction * self.width))
        line = f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {fraction * 100:3.0f}%"
        if message:
            line += "  " + message[:60]
        if line == self.last:
            return
        pad = max(len(self.last) - len(line), 0)
        self.stream.write("\r" + line + " " * pad)
        self.stream.flush()
        self.last = line

    def close(self) -> None:
        if self.last:
            self.stream.write("\n")
            self.stream.flush()


class _TqdmBar:
    def __init__(self, tqdm: Any, label: str) -> None:
        self.bar = tqdm(total=100, desc=label, unit="%", bar_format="{desc} {bar} {percentage:3.0f}% {postfix}")

    def update(self, fraction: float, message: str = "") -> None:
        target = int(round(min(max(fraction, 0.0), 1.0) * 100))
        if target > self.bar.n:
            self.bar.update(target - self.bar.n)
        if message:
            self.bar.set_postfix_str(message[:60], refresh=True)

    def close(self) -> None:
        self.bar.close()


class _NoBar:
    def update(self, fraction: float, message: str = "") -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(label: str, enabled: bool) -> Any:
    """Returns a bar with update(fraction, message) and close()."""
    if not enabled:
        return _NoBar()
    try:
        from tqdm.auto import tqdm  # type: ignore[import-not-found]
    except ImportError:
        return _TextBar(label)
    return _TqdmBar(tqdm, label)
