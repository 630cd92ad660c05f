"""The cookiecutter template: bake (also with awkward inputs), install, test, lint, list."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "cookiecutter-adapter"
BIN = Path(sys.executable).parent

CASES = {
    "defaults": {},
    "awkward": {
        "facility": "Max IV",
        "beamline": "Bloch-2 (ARPES)",
        "author": "Jürgen O'Brien-Müller",
        "email": "j.obrien@example.org",
        "description": 'The "best" beamline\'s adapter: ÅÄÖ, quotes & dashes',
    },
    "frame-series": {"layout": "frame-series"},
}


def _statement_lines(source: str) -> int:
    """Lines of code: statements other than imports and docstrings (a def/class header is one)."""
    import ast

    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.stmt) or isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        if isinstance(node, ast.ClassDef | ast.FunctionDef):
            lines.add(node.lineno)
        else:
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return len(lines)


def _run(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, check=False, env=env
    )


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_baked_package_installs_passes_and_is_listed(case: str, tmp_path: Path) -> None:
    from cookiecutter.main import cookiecutter

    baked = Path(
        cookiecutter(
            str(TEMPLATE), no_input=True, extra_context=CASES[case], output_dir=str(tmp_path)
        )
    )
    meta = json.loads((TEMPLATE / "cookiecutter.json").read_text())
    assert baked.name.startswith("nx5d-")
    package = next((baked / "src").iterdir()).name
    assert package.isidentifier()
    adapter = baked / "src" / package / "adapter.py"
    code_lines = [
        line
        for line in adapter.read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert len(code_lines) < 51, f"the generated adapter has {len(code_lines)} lines (v1 had 51)"
    if case == "frame-series":  # a folder of numbered images: the frame-series base does the rest
        statements = _statement_lines(adapter.read_text())
        assert statements <= 20, f"the frame-series adapter has {statements} lines of code"
    assert "facility" in meta
    # installed into a private --target folder, never into the shared environment: other test
    # processes must not see this plugin
    target = tmp_path / "site"
    into_target = ("install", "--quiet", "--no-deps", "--target", target)
    install = _run(sys.executable, "-m", "pip", *into_target, baked, cwd=tmp_path)
    assert install.returncode == 0, install.stderr
    env = {**os.environ, "PYTHONPATH": f"{target}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    tests = _run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=baked, env=env)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "passed" in tests.stdout
    assert "failed" not in tests.stdout
    lint = _run(BIN / "ruff", "check", ".", cwd=baked)
    assert lint.returncode == 0, lint.stdout
    types = _run(BIN / "mypy", "src", cwd=baked)
    assert types.returncode == 0, types.stdout
    listed = _run(BIN / "nx5d", "adapters", cwd=baked, env=env)
    name = package.removeprefix("nx5d_").replace("_", "-")
    assert f"{name}\t" in listed.stdout, listed.stdout
    assert f"from: {baked.name} 0.1.0" in listed.stdout
    if case == "awkward":
        assert "Jürgen O'Brien-Müller" in (baked / "README.md").read_text()
        assert 'The "best" beamline' in listed.stdout
    recipes = _run(BIN / "nx5d", "recipes", cwd=baked, env=env)
    assert f"{name}-roi-sum\t" in recipes.stdout, recipes.stdout
    unseen = _run(BIN / "nx5d", "adapters", cwd=tmp_path)
    assert f"{name}\t" not in unseen.stdout, "the baked plugin leaked into the shared environment"
