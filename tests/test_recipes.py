"""Recipes as plugins: registration, spice types, cooking any scan with any recipe, provenance,
several scans in one result, failures that stay with their plugin."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest
import xarray as xr
from nx5d_memory import MemoryRepository

import nx5d_core
from nx5d_core.plugins import load_recipes, load_spice_types
from nx5d_core.recipes import RecipeError, RecipeNotFoundError
from nx5d_core.spice.errors import SpiceValidationError

SCALE = """
import nx5d_core, xarray as xr
from pydantic import BaseModel, ConfigDict
from nx5d_core.recipes import Recipe

class ScaleParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    factor: float | None = None
    variable: str | None = None

def scale(raw, params):
    return xr.Dataset({"scaled": raw[params.variable] * params.factor})

def stack(raws, *, keys, params):
    return xr.concat(raws, dim="point")

@nx5d_core.hookimpl
def nx5d_register_recipes(registry):
    registry.add(Recipe(name="scale", model=ScaleParams, function=scale, version="7",
                        description="multiply a variable", combine=stack,
                        defaults={"factor": 2.0, "variable": "x"}))
"""


def _repo() -> MemoryRepository:
    scans = {
        f"s{i}": xr.Dataset({"x": ("point", np.arange(3.0) + i)}, coords={"point": np.arange(3)})
        for i in range(1, 4)
    }
    return MemoryRepository.from_dict({"p": scans}, name="recipes")


def test_a_plugin_recipe_cooks_any_scan_with_layered_parameters(
    add_entry_point: Callable[[str, str], None],
) -> None:
    add_entry_point("scale", SCALE)
    assert "scale" in load_spice_types().view()  # the recipe's model is its spice type
    proposal = _repo()["p"]
    scan = proposal["s1"]
    cooked = scan.cook(recipe="scale")  # nothing seeded: the recipe's own defaults, named
    assert cooked["scaled"].values.tolist() == [2.0, 4.0, 6.0]
    assert cooked.attrs["nx5d_recipe"] == "scale"
    assert cooked.attrs["nx5d_recipe_version"] == "7"
    assert cooked.attrs["nx5d_recipe_from"].startswith("nx5d_test_plugin_scale")
    assert json.loads(cooked.attrs["nx5d_spice_defaults"])["scale"]["factor"] == 2.0
    proposal.spice.seed("scale", {"factor": 10.0}, type="scale")  # variable falls through
    again = proposal["s1"].cook(recipe="scale")
    assert again["scaled"].values.tolist() == [10.0, 20.0, 30.0]
    assert json.loads(again.attrs["nx5d_recipe_params"]) == {"factor": 10.0, "variable": "x"}
    assert json.loads(again.attrs["nx5d_spice"])["scale"]["revision"] == 0
    assert again.attrs["nx5d_cook_key"] != cooked.attrs["nx5d_cook_key"]
    with pytest.raises(SpiceValidationError, match="factor"):
        proposal.spice.update("scale", {"factor": "much"})
    overridden = proposal["s1"].cook(recipe="scale", scale={"factor": 3.0})
    assert overridden["scaled"].values.tolist() == [3.0, 6.0, 9.0]


def test_several_scans_cook_into_one_result_only_with_equal_parameters(
    add_entry_point: Callable[[str, str], None],
) -> None:
    add_entry_point("scale", SCALE)
    proposal = _repo()["p"]
    proposal.spice.seed("scale", {"factor": 1.0}, type="scale")
    merged = proposal.cook(["s1", "s2"], recipe="scale")
    assert merged["scaled"].values.tolist() == [1.0, 2.0, 3.0, 2.0, 3.0, 4.0]
    assert json.loads(merged.attrs["nx5d_scans"]) == ["s1", "s2"]
    assert set(json.loads(merged.attrs["nx5d_spice"])) == {"s1", "s2"}
    proposal.spice.anchor("scale", "s3", {"factor": 5.0})
    with pytest.raises(
        RecipeError, match=r"'s1' and 's3' resolve different 'scale' parameters \(factor\)"
    ):
        proposal.cook(["s1", "s3"], recipe="scale")
    with pytest.raises(RecipeError, match="named twice"):
        proposal.cook(["s1", "s1"], recipe="scale")
    with pytest.raises(nx5d_core.KeyNotFoundError, match="s9"):
        proposal.cook(["s1", "s9"], recipe="scale")


def test_unknown_recipe_lists_the_installed_ones() -> None:
    scan = _repo()["p"]["s1"]
    with pytest.raises(
        RecipeNotFoundError, match=r"recipe 'rms' is not installed; installed: .*rsm"
    ):
        scan.cook(recipe="rms")


def test_a_recipe_hook_that_raises_is_named_and_the_others_load(
    add_entry_point: Callable[[str, str], None],
) -> None:
    add_entry_point(
        "badrecipe",
        "import nx5d_core\n@nx5d_core.hookimpl\ndef nx5d_register_recipes(registry):\n"
        "    raise RuntimeError('no licence for the solver')\n",
    )
    with pytest.warns(
        RuntimeWarning, match=r"'badrecipe' raised in nx5d_register_recipes.*licence"
    ):
        names = list(load_recipes())
    assert {"rsm", "flatfield"} <= set(names)


def test_a_third_party_cannot_take_a_builtin_recipe_name(
    add_entry_point: Callable[[str, str], None],
) -> None:
    add_entry_point("fakersm", SCALE.replace('name="scale"', 'name="rsm"'))
    with pytest.warns(
        RuntimeWarning, match="recipe name 'rsm' is registered twice.*built-in keeps it"
    ):
        recipe = load_recipes()["rsm"]
    assert recipe.owner.distribution.startswith("nx5d-recipes")


def test_a_scan_without_cook_step_or_default_recipe_names_the_way_out() -> None:
    scan = _repo()["p"]["s1"]
    with pytest.raises(NotImplementedError, match=r"scan.cook\(recipe=...\)"):
        _ = scan.cooked


def test_cli_lists_recipes_with_their_spice_types(capsys: pytest.CaptureFixture[str]) -> None:
    from nx5d_core.cli import main

    assert main(["recipes"]) == 0
    out = capsys.readouterr().out
    assert "rsm\treciprocal-space map" in out
    assert "spice type: rsm (nx5d_recipes.rsm_model.RsmParams)" in out
    assert "flatfield\t" in out
