"""A UDKM scan's summary: delays and Theta range from the manifest, time and text from
parameters.txt (or the keys, read as local times), what could not be read in ``missing``."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import Field

from nx5d_core import ScanSummary
from nx5d_core.errors import SpecialFileError
from nx5d_core.logs import quiet_repeats

if TYPE_CHECKING:
    from .adapter import UdkmScan

__all__ = ["UdkmSummary", "key_time", "scan_summary"]
logger = quiet_repeats(logging.getLogger("nx5d_udkm.adapter"))  # warnings given per scan


class UdkmSummary(ScanSummary):
    """UDKM summary: delays and Theta range from the manifest, time and text from parameters.txt."""

    delays: int = 0
    theta_min: float | None = None
    theta_max: float | None = None
    folder: str = ""
    missing: list[str] = Field(default_factory=list)


def key_time(scan: UdkmScan) -> datetime | None:
    try:
        naive = datetime.strptime(scan.proposal.key + scan.key, "%Y%m%d%H%M%S")
    except ValueError:
        return None
    return naive.replace(tzinfo=scan.proposal.repository.timezone)


def scan_summary(scan: UdkmScan) -> UdkmSummary:
    import numpy as np

    manifest = scan.manifest
    missing: list[str] = []
    try:
        params = scan._parameters()
    except SpecialFileError:
        raise
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        params = {}
        missing.append(f"parameters.txt: {exc}")
        logger.warning(
            "scan %s: parameters.txt unreadable (%s); summary uses the manifest and keys",
            scan.key,
            exc,
        )
    time: datetime | None = None
    if "start_time" in params:
        try:
            time = datetime.fromisoformat(params["start_time"])
            if time.tzinfo is None:
                time = time.replace(tzinfo=scan.proposal.repository.timezone)
        except ValueError:
            missing.append(
                f"parameters.txt: start_time {params['start_time']!r} is not an ISO time"
            )
    if time is None:
        time = scan._key_time()
        if time is None:
            missing.append(
                "time: no start_time in parameters.txt and the keys are not YYYYMMDD/HHMMSS"
            )
    theta = manifest.column("Theta") if manifest.has("Theta") else None
    delays = manifest.column("Delay") if manifest.has("Delay") else None
    kind = params.get("type") or (
        "delay-theta" if delays is not None and theta is not None else "scan"
    )
    return UdkmSummary(
        key=scan.key,
        type=kind,
        num_frames=manifest.num_rows,
        time=time,
        description=params.get("description", ""),
        delays=0 if delays is None else int(np.unique(delays).size),
        theta_min=None if theta is None else float(theta.min()),
        theta_max=None if theta is None else float(theta.max()),
        folder=str(scan.folder),
        missing=missing,
    )
