"""A proposal's scan listing kept in the summary index with the token it was listed under
(:mod:`nx5d_core.listing`), so that a new process lists 20,000 scans with a few ``stat`` calls
per proposal instead of a walk: the stored keys are used only while every path of the token
(the listed folder and the folders still waiting for their scan file) has the identity it had.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from ..listing import ListingToken, token_changed
from .store import IndexUnavailableError
from .sync import _repo_id, index_of

if TYPE_CHECKING:
    from ..proposal import Proposal

__all__ = ["remember_listing", "stored_listing"]
logger = logging.getLogger(__name__)


def _token(text: str) -> ListingToken | None:
    try:
        token = tuple((str(p), (int(i[0]), int(i[1]), int(i[2]), int(i[3]))) for p, i in json.loads(text))  # fmt: skip
    except (ValueError, TypeError, IndexError):
        return None
    return token or None


def stored_listing(proposal: Proposal) -> tuple[list[str], ListingToken] | None:
    """The keys stored for ``proposal`` and their token, when no path of it changed since."""
    index = index_of(proposal.repository)
    if index is None:
        return None
    try:
        row = index.listing(repo=_repo_id(index, proposal.repository), proposal=proposal.key)
    except IndexUnavailableError as exc:
        logger.debug("%s; listing %s", exc, proposal._where())
        return None
    if row is None:
        return None
    token = _token(row[0])
    if token is None or token_changed(token):
        return None
    try:
        keys = json.loads(row[1])
    except ValueError:
        return None
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        return None
    logger.debug(
        "%s: %d scan keys from the index (listing unchanged)", proposal._where(), len(keys)
    )
    return keys, token


def remember_listing(proposal: Proposal, keys: list[str], token: ListingToken) -> None:
    """Store ``keys`` (in order) of ``proposal`` under ``token``."""
    index = index_of(proposal.repository)
    if index is None:
        return
    try:
        index.write_listing(
            repo=_repo_id(index, proposal.repository),
            proposal=proposal.key,
            token=json.dumps(token),
            keys=json.dumps(keys),
        )
    except IndexUnavailableError as exc:
        logger.debug("%s; the listing of %s is not stored", exc, proposal._where())
