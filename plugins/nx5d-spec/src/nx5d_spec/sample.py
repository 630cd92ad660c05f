"""Write small SPEC files for tests and demos, with the quirks real files have on request."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["write_spec"]

HEADER = """#F {name}
#E 1616502400
#D Tue Mar 23 12:26:40 2021
#C lab  User = nx5d
#O0 Two Theta  Theta  Chi  Phi
#o0 tth th chi phi

"""


def scan_text(
    number: int | str,
    *,
    points: int = 11,
    start: float = 10.0,
    stop: float = 11.0,
    motor: str = "th",
    label: str = "Theta",
    seed: int = 0,
) -> str:
    """One ``ascan`` of ``points`` points: motor, Epoch, Seconds, Monitor, Detector."""
    rng = np.random.default_rng(seed)
    lines = [
        f"#S {number}  ascan  {motor} {start:g} {stop:g}  {points - 1} 1",
        "#D Tue Mar 23 12:30:00 2021",
        "#T 1  (Seconds)",
        "#G0 0 0 1",
        "#Q 0 0 2",
        "#P0 20 10 0 0",
        "#N 5",
        f"#L {label}  Epoch  Seconds  Monitor  Detector",
    ]
    for i, x in enumerate(np.linspace(start, stop, points)):
        counts = int(1000 * np.exp(-(((x - (start + stop) / 2) / 0.2) ** 2))) + int(
            rng.integers(0, 5)
        )
        lines.append(f"{x:.4f} {100 + i} 1 {50000 + i} {counts}")
    return "\n".join(lines) + "\n\n"


def write_spec(path: Path, *, scans: tuple[int | str, ...] = (1, 2, 10), points: int = 11) -> Path:
    """A SPEC file with one header and an ``ascan`` per number in ``scans``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = HEADER.format(name=path.name)
    for i, number in enumerate(scans):
        text += scan_text(number, points=points, seed=i)
    path.write_text(text, encoding="latin-1")
    return path
