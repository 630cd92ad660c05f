"""nx5d_core: one way to reach x-ray experiment data — repository -> proposal -> scan.

Importing this package is cheap: names are loaded on first use (PEP 562), and no plugin nor any
heavy science package is imported until it is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .exports import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "hookimpl": "nx5d_core._markers",
    "Repository": "nx5d_core.repository",
    "FileRepository": "nx5d_core.repository",
    "Proposal": "nx5d_core.proposal",
    "Scan": "nx5d_core.scan",
    "ScanSummary": "nx5d_core.summary",
    "SummaryEntry": "nx5d_core.summary",
    "open_repository": "nx5d_core.opening",
    "list_adapters": "nx5d_core.plugins",
    "get_adapter": "nx5d_core.plugins",
    "refresh_plugins": "nx5d_core.plugins",
    "get_plugin_manager": "nx5d_core.plugins",
    "AdapterRegistry": "nx5d_core.registry",
    "AdapterInfo": "nx5d_core.registry",
    "KeyPattern": "nx5d_core.urls",
    "RootGuard": "nx5d_core.paths",
    "Location": "nx5d_core.urls",
    "catalog": "nx5d_core.config",
    "list_configs": "nx5d_core.config",
    "natural_key": "nx5d_core.keys",
    "SpiceStore": "nx5d_core.spice.store",
    "SpiceBackend": "nx5d_core.spice.backend",
    "SpiceSpec": "nx5d_core.spice.backend",
    "SpiceView": "nx5d_core.spice.view",
    "SpiceConflictError": "nx5d_core.spice.errors",
    "SpiceConflict": "nx5d_core.spice.errors",  # the name before 0.2
    "Nx5dError": "nx5d_core.errors",
    "KeyNotFoundError": "nx5d_core.errors",
    "InvalidKeyError": "nx5d_core.errors",
    "AdapterNotFoundError": "nx5d_core.errors",
    "AdapterGuessError": "nx5d_core.errors",
    "AdapterConflictError": "nx5d_core.errors",
    "AdapterContractError": "nx5d_core.errors",
    "AdapterOptionError": "nx5d_core.errors",
    "URLPatternError": "nx5d_core.errors",
    "ConfigError": "nx5d_core.errors",
    "FormatError": "nx5d_core.errors",
    "MissingFrameError": "nx5d_core.errors",
    "CorruptFrameError": "nx5d_core.errors",
    "FrameShapeError": "nx5d_core.errors",
    "ShapesData": "nx5d_core.options",
    "TimeZoneName": "nx5d_core.options",
    "Frame": "nx5d_core.series",
    "FrameSeriesScan": "nx5d_core.series",
    "split_pending": "nx5d_core.series",
    "FilesChangedError": "nx5d_core.errors",
    "SpecialFileError": "nx5d_core.errors",
    "OutsideRootError": "nx5d_core.errors",
    "NoTableError": "nx5d_core.errors",
    "RemoteUnavailableError": "nx5d_core.errors",
    "RemoteUnavailable": "nx5d_core.errors",  # the name before 0.2
}

__all__ = [
    "AdapterConflictError",
    "AdapterContractError",
    "AdapterGuessError",
    "AdapterInfo",
    "AdapterNotFoundError",
    "AdapterOptionError",
    "AdapterRegistry",
    "ConfigError",
    "CorruptFrameError",
    "FileRepository",
    "FilesChangedError",
    "FormatError",
    "Frame",
    "FrameSeriesScan",
    "FrameShapeError",
    "InvalidKeyError",
    "KeyNotFoundError",
    "KeyPattern",
    "Location",
    "MissingFrameError",
    "NoTableError",
    "Nx5dError",
    "OutsideRootError",
    "Proposal",
    "RemoteUnavailableError",
    "Repository",
    "RootGuard",
    "Scan",
    "ScanSummary",
    "ShapesData",
    "SpecialFileError",
    "SpiceBackend",
    "SpiceConflictError",
    "SpiceSpec",
    "SpiceStore",
    "SpiceView",
    "SummaryEntry",
    "TimeZoneName",
    "URLPatternError",
    "catalog",
    "get_adapter",
    "get_plugin_manager",
    "hookimpl",
    "list_adapters",
    "list_configs",
    "natural_key",
    "open_repository",
    "refresh_plugins",
    "split_pending",
]


__getattr__ = lazy_exports(__name__, _EXPORTS)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    from ._markers import hookimpl
    from .config import catalog, list_configs
    from .errors import (
        AdapterConflictError,
        AdapterContractError,
        AdapterGuessError,
        AdapterNotFoundError,
        AdapterOptionError,
        ConfigError,
        CorruptFrameError,
        FilesChangedError,
        FormatError,
        FrameShapeError,
        InvalidKeyError,
        KeyNotFoundError,
        MissingFrameError,
        Nx5dError,
        OutsideRootError,
        RemoteUnavailableError,
        SpecialFileError,
        URLPatternError,
    )
    from .keys import natural_key
    from .opening import open_repository
    from .options import ShapesData, TimeZoneName
    from .paths import RootGuard
    from .plugins import get_adapter, get_plugin_manager, list_adapters, refresh_plugins
    from .proposal import Proposal
    from .registry import AdapterInfo, AdapterRegistry
    from .repository import FileRepository, Repository
    from .scan import Scan
    from .series import Frame, FrameSeriesScan, split_pending
    from .spice.backend import SpiceBackend, SpiceSpec
    from .spice.errors import SpiceConflictError
    from .spice.store import SpiceStore
    from .spice.view import SpiceView
    from .summary import ScanSummary, SummaryEntry
    from .urls import KeyPattern, Location
