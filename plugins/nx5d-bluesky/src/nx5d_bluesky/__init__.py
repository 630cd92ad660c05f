"""nx5d adapter for Bluesky runs in a tiled server.

Importing the package is light (the plugin registry imports it): the adapter, and tiled with
it, loads on first use of one of its names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nx5d_core.exports import lazy_exports

_LAZY = {
    "BlueskyProposal": ".adapter",
    "BlueskyRepository": ".adapter",
    "BlueskyScan": ".adapter",
    "BlueskySummary": ".runs",
    "BlueskyAuthError": ".errors",
    "ExternalFilesError": ".errors",
    "NoEventsError": ".errors",
    "NotARunError": ".errors",
}

__all__ = [
    "BlueskyAuthError",
    "BlueskyProposal",
    "BlueskyRepository",
    "BlueskyScan",
    "BlueskySummary",
    "ExternalFilesError",
    "NoEventsError",
    "NotARunError",
]

__getattr__ = lazy_exports(__name__, _LAZY)

if TYPE_CHECKING:
    from .adapter import BlueskyProposal, BlueskyRepository, BlueskyScan
    from .errors import BlueskyAuthError, ExternalFilesError, NoEventsError, NotARunError
    from .runs import BlueskySummary
