"""What the e2e child processes log, shared with the tests that check it.

Imported by the child scripts in this folder (their folder is on ``sys.path`` when run as
scripts) and by ``tests/e2e/conftest.py``. Values are a deterministic function of the step,
so a test can check every stored point exactly.
"""

from __future__ import annotations

KEYS = [f"train/m{k}" for k in range(10)]


def metric_value(step: int, k: int) -> float:
    """The value of ``KEYS[k]`` at ``step``: exact in float64 and different everywhere."""
    return step * 0.001 + k + (step % 13) / 7.0


def row(step: int) -> dict[str, float]:
    return {key: metric_value(step, k) for k, key in enumerate(KEYS)}
