"""The rows of the training-speed benchmark that chapters judge claims on.

``benchmarks/speed.py`` writes them to ``paths.BENCHMARK``; chapters 3 and 6 read them by these
names, and chapter 8 shows the whole table.
"""
from __future__ import annotations

from ..core import claims
from ..judging import stats


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


def paired_speeds(bench, measurement_a: str, measurement_b: str) -> dict:
    """Two timed models of the benchmark, paired by round (``benchmarks.speed.interleaved_blocks``):
    images per second of wall time per round (``a``, ``b``), and what readers are told beside
    the verdict: the rounds, the machine's load before, and the ratio a/b in CPU time (the
    threads' work, which a slower VM does not stretch) with its 95% interval."""
    import numpy as np


    rows = {m: bench[bench["measurement"] == m] for m in (measurement_a, measurement_b)}
    if "repeat" in bench:
        rows = {m: r.sort_values("repeat", kind="stable") for m, r in rows.items()}
    a, b = (rows[m]["value"].to_numpy(float) for m in (measurement_a, measurement_b))
    said = f"{min(len(a), len(b))} interleaved rounds"
    if "cpu_images_per_second" in bench and len(a) == len(b) and len(a) > 1:
        cpu_a, cpu_b = (rows[m]["cpu_images_per_second"].to_numpy(float) for m in (measurement_a, measurement_b))
        if np.isfinite(cpu_a).all() and np.isfinite(cpu_b).all():
            s = stats.mean_ci(np.log(cpu_a / cpu_b))
            said += (f"; in CPU time the ratio is ×{np.exp(s['mean']):.3f} (95% CI ×{np.exp(s['ci_low']):.3f} to "
                     f"×{np.exp(s['ci_high']):.3f})")
        load = rows[measurement_a]["load_before"].dropna() if "load_before" in bench else []
        if len(load):
            said += f"; load average {float(load.iloc[0]):.2f} before"
    return {"a": a, "b": b, "said": said}
