"""Downloading a file from a list of mirrors, with a progress bar, atomically.

Only :func:`download` touches the network, so tests replace it with a fake (``monkeypatch``)
and never go online.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path

from groundup.errors import DataError
from groundup.io import atomic_path

TIMEOUT_S = 30


def download(urls: list[str], dest: str | os.PathLike) -> Path:
    """Fetch the first mirror in ``urls`` that answers, into ``dest``, and return ``dest``.

    The bytes stream into a temporary file beside ``dest`` that is renamed onto it only when
    complete, so an interrupted download never leaves a half file under the real name. The
    caller checks the checksum afterwards.

    Raises
    ------
    DataError
        When no mirror could be read; the message lists the URLs and where to put the file by hand.
    """
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    dest = Path(dest)
    errors = []
    for url in urls:
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:  # noqa: S310
                total = int(response.headers.get("Content-Length") or 0) or None
                with (
                    atomic_path(dest) as tmp,
                    open(tmp, "wb") as out,
                    Progress(
                        "[progress.description]{task.description}",
                        BarColumn(),
                        DownloadColumn(),
                        TransferSpeedColumn(),
                        TimeRemainingColumn(),
                        transient=True,
                    ) as progress,
                ):
                    task = progress.add_task(f"downloading {dest.name}", total=total)
                    for chunk in iter(lambda: response.read(1 << 16), b""):
                        out.write(chunk)
                        progress.advance(task, len(chunk))
            return dest
        except (urllib.error.URLError, OSError, ValueError) as exc:
            errors.append(f"{url}: {exc}")
    raise DataError(
        f"could not download {dest.name} (tried {'; '.join(errors)}). Check the network, or "
        f"download it by hand and put it at {dest}"
    )
