"""Keys: natural order, validation, handles."""

from __future__ import annotations

import keyword
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nx5d_core.errors import InvalidKeyError
from nx5d_core.keys import make_handles, natural_key, validate_key


def test_natural_order_puts_r2_before_r10() -> None:
    keys = ["r10", "r2", "r1", "r12", "r5"]
    assert sorted(keys, key=natural_key) == ["r1", "r2", "r5", "r10", "r12"]
    assert sorted(keys) == ["r1", "r10", "r12", "r2", "r5"]  # what string order would do


def test_natural_order_of_dates_and_mixed_keys() -> None:
    keys = ["2021-11-01", "2021-02-05", "091726", "91725", "scan-9", "scan-10"]
    assert sorted(keys, key=natural_key) == [
        "2021-02-05",
        "2021-11-01",
        "91725",
        "091726",
        "scan-9",
        "scan-10",
    ]


@pytest.mark.parametrize(
    "bad", ["", " r1", "r1 ", ".", "..", "a/b", "../etc", "a\\b", "a\x00b", "x\n"]
)
def test_validate_key_rejects_unsafe_keys(bad: str) -> None:
    with pytest.raises(InvalidKeyError):
        validate_key(bad, kind="scan")


@pytest.mark.parametrize(
    "good", ["r1", "20210205", "2021-02-05", "091726", "entry 1.2", "...", "a..b", "Ä-1"]
)
def test_validate_key_accepts_facility_keys(good: str) -> None:
    assert validate_key(good) == good


def test_validate_key_rejects_non_strings() -> None:
    with pytest.raises(InvalidKeyError, match="must be a string"):
        validate_key(12)


def test_handles_for_numeric_and_dashed_keys() -> None:
    handles = make_handles(["20210205", "2021-02-06", "r1"], prefix="p")
    assert handles == {"p20210205": "20210205", "p2021_02_06": "2021-02-06", "r1": "r1"}


def test_handle_collision_is_deterministic_and_drops_nothing() -> None:
    first = make_handles(["a-1", "a_1", "a.1"], prefix="s")
    second = make_handles(["a.1", "a_1", "a-1"], prefix="s")
    assert first == second
    assert first["a_1"] == "a_1"  # a key that is already an identifier keeps it
    assert sorted(first.values()) == ["a-1", "a.1", "a_1"]
    assert set(first) == {"a_1", "a_1__2", "a_1__3"}


def test_keywords_and_reserved_names_get_trailing_underscore() -> None:
    handles = make_handles(["class", "keys", "raw"], prefix="s", reserved={"keys", "raw"})
    assert handles == {"class_": "class", "keys_": "keys", "raw_": "raw"}


@given(
    st.lists(
        st.text(alphabet="ab1-_. 9", min_size=1, max_size=6).map(str.strip).filter(bool),
        unique=True,
        max_size=20,
    )
)
def test_handles_are_unique_identifiers_for_every_key(keys: list[str]) -> None:
    handles = make_handles(keys, prefix="s")
    assert sorted(handles.values()) == sorted(keys)
    assert all(h.isidentifier() and not keyword.iskeyword(h) for h in handles)
    shuffled = keys[:]
    random.Random(0).shuffle(shuffled)
    assert make_handles(shuffled, prefix="s") == handles


def test_a_contested_handle_goes_by_natural_order_past_taken_suffixes() -> None:
    keys = ["a.1", "a_1__2", "é1", "a-1", "b-1"]
    handles = make_handles(keys, prefix="s")
    # "a-1" sorts before "a.1"; "a_1__2" is a key's own handle, so "a.1" gets "__3";
    # a non-ASCII letter becomes "_" like any other character outside identifiers
    assert handles == {"a_1": "a-1", "a_1__2": "a_1__2", "a_1__3": "a.1", "_1": "é1", "b_1": "b-1"}
    assert make_handles(reversed(keys), prefix="s") == handles


def test_uncontested_handles_do_not_depend_on_the_listing_order() -> None:
    keys = [f"{n:06d}" for n in range(50)] + ["x-1", "y_2"]
    handles = make_handles(keys, prefix="s")
    assert handles == {**{f"s{n:06d}": f"{n:06d}" for n in range(50)}, "x_1": "x-1", "y_2": "y_2"}
    assert make_handles(keys[::-1], prefix="s") == handles
