"""mnist_utils.runs.gradients: gradient probes, stored once apart from the run they probe, and their
summaries."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mnist_utils.runs import gradients, runsets, store
from mnist_utils.training.train import TrainConfig, TrainConfigError, run_spec

SIGMOID = TrainConfig("lenet5", {"activation": "sigmoid"}, "adam", 0.003, 32, steps=24, eval_every=8, label="sigmoid")


def test_a_gradient_probe_records_every_kernel_every_step_and_is_stored_once(tiny_mnist, run_store, monkeypatch):
    probed = gradients.probe(SIGMOID, 0, tiny_mnist, steps=5, store=run_store)
    assert list(dict.fromkeys(probed["layer"])) == ["C1", "C3", "F5", "F6", "output"]
    assert sorted(set(probed["step"])) == [1, 2, 3, 4, 5] and (probed["rms"] > 0).all()
    # Its key is the configuration's spec plus the probe: the run of that configuration is another entry.
    [entry] = run_store.entries()
    fingerprint = store.data_fingerprint(tiny_mnist)
    assert entry.stem != store.run_key(run_spec(SIGMOID, 0, tiny_mnist), fingerprint)[:16]
    monkeypatch.setattr(gradients, "kernel_rms_per_step", lambda *a, **k: pytest.fail("trained again"))
    pd.testing.assert_frame_equal(gradients.probe(SIGMOID, 0, tiny_mnist, steps=5, store=run_store), probed)


def test_gradient_summaries_are_geometric_means_over_the_steps():
    table = pd.DataFrame({"run_id": "a/seed0", "config": "a", "seed": 0, "step": [1, 1, 1, 2, 2, 2],
                          "layer": ["first", "middle", "last"] * 2, "rms": [1.0, 10.0, 100.0, 4.0, 1.0, 1.0]})
    [row] = gradients.summaries(table).to_dict("records")
    assert row["input_over_output"] == pytest.approx(np.sqrt(0.01 * 4.0))      # first/last: 0.01, then 4
    assert row["layer_spread"] == pytest.approx(np.sqrt(100.0 * 4.0))          # max/min: 100, then 4


def test_gradient_probes_name_unknown_configurations_and_bad_steps(tiny_mnist, run_store):
    run_set = runsets.RunSet("x", (SIGMOID,), (0,))
    with pytest.raises(TrainConfigError, match=r"configs=\['relu'\]: \['relu'\] not in the run set x"):
        gradients.run_set_probes(run_set, 2, [0], tiny_mnist, store=run_store, configs=["relu"])
    with pytest.raises(TrainConfigError, match="gradient_steps=0"):
        gradients.probe(SIGMOID, 0, tiny_mnist, steps=0, store=run_store)
