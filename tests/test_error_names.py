"""Every error nx5d raises on purpose is an ``Nx5dError`` whose name ends in ``Error``."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

from nx5d_core.errors import Nx5dError

PACKAGES = ["nx5d_core", "nx5d_hdf5", "nx5d_spec", "nx5d_udkm", "nx5d_xdi", "nx5d_images", "nx5d_fio", "nx5d_recipes", "nx5d_memory"]  # fmt: skip


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        root = importlib.import_module(package)
        names.append(package)
        found = pkgutil.walk_packages(root.__path__, prefix=f"{package}.")
        names += [m.name for m in found if not m.name.endswith("__main__")]
    return names


@pytest.mark.parametrize("module_name", _modules())
def test_error_classes_end_in_error_and_join_the_family(module_name: str) -> None:
    module = importlib.import_module(module_name)
    for name, obj in vars(module).items():
        if not (inspect.isclass(obj) and issubclass(obj, Exception)) or obj.__module__ != module_name:
            continue
        if name != obj.__name__ or name.startswith("_"):
            continue  # an alias kept for an older name, or a module's private signal
        assert name.endswith("Error"), f"{module_name}.{name}: error names end in 'Error'"
        # the conformance suite's own failure is an AssertionError, as pytest reports it
        assert issubclass(obj, Nx5dError) or name == "BulkReadError", f"{module_name}.{name} is not an Nx5dError"  # fmt: skip
