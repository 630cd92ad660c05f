"""The full-text words the index stores for a summary: the fields and the tokenisation
:class:`~nx5d_core.queries.FullText` reads, so an indexed search finds what a search of the
summaries does."""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any

from ..queries import _WORD, FullText

__all__ = ["summary_words", "words_of"]


def summary_words(summary: Any) -> str:
    """The words of ``summary``'s full-text fields as ``model_dump`` holds them (declared, extra
    or computed; see :func:`words_of`), read without ``getattr``, whose miss costs pydantic an
    exception each time."""
    declared = summary.__dict__
    extra = summary.__pydantic_extra__ or {}
    values = []
    for name in FullText.fields:
        if name in declared:
            value = declared[name]
        elif name in extra:
            value = extra[name]
        elif name in _computed(type(summary)):
            value = getattr(summary, name)
        else:
            continue
        values.append(value if value is None or isinstance(value, str) else _plain(value))
    return words_of(values)


def words_of(values: Iterable[Any]) -> str:
    """The full-text words of ``values`` (lists flattened), casefolded, space-separated: the
    tokenisation :class:`~nx5d_core.queries.FullText` uses, stored so that SQLite's ``ascii``
    tokenizer splits them exactly the same way."""
    texts: list[str] = []
    for value in values:
        if isinstance(value, list | tuple):
            texts.extend(str(p) for p in value if p is not None)
        elif value is not None:
            texts.append(str(value))
    # one findall over the parts joined by a space (no word spans it); casefold maps each
    # character on its own, so folding the joined words equals folding each word
    return " ".join(_WORD.findall(" ".join(texts))).casefold()


_COMPUTED: weakref.WeakKeyDictionary[type[Any], frozenset[str]] = weakref.WeakKeyDictionary()


def _computed(model: type[Any]) -> frozenset[str]:
    """The computed fields of ``model`` (pydantic answers through a descriptor each time)."""
    names = _COMPUTED.get(model)
    if names is None:
        names = _COMPUTED[model] = frozenset(model.model_computed_fields)
    return names


def _plain(value: Any) -> Any:
    """A field as ``model_dump`` gives it (what Python's ``FullText`` reads)."""
    if value is None or isinstance(value, str | int | float):
        return value
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, list | tuple) and any(isinstance(v, BaseModel) for v in value):
        return [v.model_dump() if isinstance(v, BaseModel) else v for v in value]
    return value
