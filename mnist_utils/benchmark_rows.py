"""The rows of the training-speed benchmark that chapters judge claims on.

``benchmarks/speed.py`` writes them to ``paths.BENCHMARK``; chapters 3 and 6 read them by these
names, and chapter 8 shows the whole table.
"""
from __future__ import annotations

from . import claims


def factorised_measurement(widths, variant: str) -> str:
    """The benchmark row (``benchmarks.speed``, part 5) that times ``variant`` ("factorised" or
    "unfactorised") of the CNN with ``widths``; chapter 6 judges the speed claim on these rows."""
    return f"liu_fu_cnn {'/'.join(map(str, widths))} b50: {variant}"


def activation_measurement(activation: str) -> str:
    """The benchmark row (``benchmarks.speed``, part 6) that times LeNet-5 with ``activation``;
    chapter 3 judges ReLU's "operating efficiency" on these rows."""
    return f"lenet5 b128: {activation}"


def race_targets() -> tuple[float, float]:
    """The benchmark's part 3 (time to accuracy) targets: 99.0%, and Liu & Fu's best training."""
    return 0.99, claims.values("liu_fu.cnn.best_accuracy")[0] / 100
