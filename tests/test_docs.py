"""Every code block in README.md and docs/ runs: python blocks in order per file, shell blocks with bash.

Each file's python blocks (and a tutorial's ``{code-cell}`` cells) also run as one plain script
in a fresh interpreter, as a user who copies them into ``example.py`` runs them: that is where a
process pool without the ``if __name__ == "__main__":`` guard fails.

``make demo`` / ``make test`` lines are the two commands CI itself runs (``.ci/run``), so they are
not run again from here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
SCRIPTS = [p for p in DOCS if re.search(r"^```(python|\{code-cell\})", p.read_text(encoding="utf-8"), re.MULTILINE)]  # fmt: skip


def blocks(path: Path) -> list[tuple[str, str]]:
    return [(lang, body) for lang, body in FENCE.findall(path.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_doc_code_blocks_run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = blocks(path)
    runnable = [(lang, body) for lang, body in found if lang in {"python", "shell"}]
    assert runnable or not found, (
        f"{path} has code blocks in no runnable language: {[lang for lang, _ in found]}"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NX5D_CONFIG_PATH", str(tmp_path / "nx5d-config"))
    namespace: dict[str, object] = {"__name__": "__main__"}
    # shell blocks that `pip install` write to a private folder, never to the shared environment
    site = tmp_path / "site"
    env = {
        **os.environ,
        "PATH": f"{site / 'bin'}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "NX5D_SOURCES": str(ROOT),
        "PIP_TARGET": str(site),
        "PYTHONPATH": f"{site}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
    }
    for number, (lang, body) in enumerate(runnable, start=1):
        if lang == "python":
            try:
                exec(compile(body, f"{path.name}[block {number}]", "exec"), namespace)  # noqa: S102
            except Exception as exc:  # noqa: BLE001 - any failure of a docs example is a test failure
                pytest.fail(
                    f"{path.name} python block {number} failed: {type(exc).__name__}: {exc}\n{body}"
                )
        else:
            script = "\n".join(
                line for line in body.splitlines() if not line.strip().startswith("make ")
            )
            result = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", script],
                capture_output=True,
                text=True,
                env=env,
                cwd=tmp_path,
                check=False,
            )
            assert result.returncode == 0, (
                f"{path.name} shell block {number} failed:\n{script}\n{result.stdout}\n{result.stderr}"
            )


def _as_script(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    cells = [body for lang, body in blocks(path) if lang == "python"] + CELL.findall(text)
    return "\n\n".join(cells)


@pytest.mark.slow
@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_doc_code_runs_as_a_plain_script(path: Path, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(_as_script(path), encoding="utf-8")
    env = {**os.environ, "NX5D_CONFIG_PATH": str(tmp_path / "nx5d-config")}
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
        timeout=900,
    )
    assert result.returncode == 0, f"{path.name} as a script failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}"  # fmt: skip
