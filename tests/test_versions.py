"""mnist_utils.training.versions: run keys by declared version, and the lock that guards each version's code."""
from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import LENET

from mnist_utils.core import paths
from mnist_utils.runs import runsets, store, verify
from mnist_utils.training import data, models, versions
from mnist_utils.training import train as training

PACKAGE = versions.PACKAGE


def copy_of_package(tmp_path) -> Path:
    copy = tmp_path / "mnist_utils"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path.name} no longer holds {old!r}"
    path.write_text(text.replace(old, new, 1))


def test_the_code_of_every_keyed_unit_is_locked_at_its_version():
    # An edit to the training code, a model builder or a probe that is neither a new version nor a
    # verified "same numbers" declaration fails here, naming the unit and the two ways to mend it.
    assert versions.problems() == []


def test_every_later_digest_of_a_version_carries_its_evidence():
    for name, unit in versions.lock()["units"].items():
        assert str(unit["version"]) in unit["keys"], name
        for version in {d["version"] for d in unit["digests"]}:
            made, *later = [d for d in unit["digests"] if d["version"] == version]
            assert made.get("made"), f"{name} v{version}: the code it was made with is not said"
            for entry in later:
                assert entry["same_numbers"] and entry["command"].startswith("python -m mnist_utils.runs.verify")
                assert entry["repeated"] and entry["cpu"], f"{name}: a declaration without its retrained runs"


def test_every_model_builder_is_a_locked_unit_of_its_own():
    # (The speed benchmark registers a model of its own for timing; it never trains a stored run.)
    assert versions.BUILDERS == {model: builder.__name__ for model, builder in models.BUILDERS.items()
                                 if builder.__module__ == models.__name__}


def test_version_1_keys_every_run_as_the_digest_it_was_stored_under():
    # The stored runs were keyed with the digest of the training files before versions were declared.
    assert versions.key_token("training") == "4b6f4c7aee67bef24ea26606fdc3a0665c2dc7f331c2d383415a57f8ab979c32"
    assert versions.model_token("lenet5") is None and versions.model_token("an unknown model") is None


def test_comments_docstrings_layout_and_the_package_path_of_an_import_do_not_change_a_digest():
    code = 'from .data import MNIST\nimport os\n\n\ndef f(x):\n    """Doc."""\n    return x + 1  # add one\n'
    moved = 'import os\nfrom ..training.data import MNIST\n\n\ndef f(x):\n    """Other."""\n\n    return x + 1\n'
    assert versions.source_digest(code) == versions.source_digest(moved)
    assert versions.source_digest(code) != versions.source_digest(code.replace("x + 1", "x + 2"))
    assert versions.source_digest(code) != versions.source_digest(code.replace("import MNIST", "import Split"))


def test_the_source_digest_does_not_depend_on_the_python_version():
    # Computed by the same canonical dump on Python 3.11.7, 3.12.1 and 3.13.0 (3.12 adds type_params,
    # 3.13 drops empty fields): the GPU machine's Python once keyed runs the book could not find.
    code = "def f(x):\n    return x + 1\n\n\nclass A:\n    pass\n"
    assert versions.source_digest(code) == "bb6b1f96fa506dfba15f94b9f283e41cb0382a9c5a64b3fa9e9c41a7377bb34b"


def test_each_unit_sees_its_own_code_only(tmp_path):
    copy = copy_of_package(tmp_path)
    before = versions.digests(copy)
    edit(copy / "training" / "models.py", "layers.Dense(84,", "layers.Dense(85,")
    (copy / "training" / "train.py").write_text((copy / "training" / "train.py").read_text() + "\n# a comment\n")
    after = versions.digests.__wrapped__(copy)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"model:lenet5"}   # a builder re-keys its own runs only; a comment nothing
    edit(copy / "training" / "train.py", 'OPTIMIZERS = (', 'OPTIMIZERS = ("x", ')
    assert versions.digests.__wrapped__(copy)["training"] != before["training"]
    # A probe's unit is the code that computes what it stores: a helper beside it is free, its steps are not.
    edit(copy / "runs" / "gradients.py", "def summaries(", "def helper():\n    return 1\n\n\ndef summaries(")
    assert versions.digests.__wrapped__(copy)["probe:gradient_norms"] == before["probe:gradient_norms"]
    edit(copy / "runs" / "gradients.py", "steps = min(steps, total)", "steps = min(steps, total - 1)")
    assert {n for n, d in versions.digests.__wrapped__(copy).items() if d != before[n]} == \
        {"model:lenet5", "training", "probe:gradient_norms"}


def test_a_new_version_re_keys_the_runs_of_its_unit_only(tiny_mnist, monkeypatch):
    fingerprint = store.data_fingerprint(tiny_mnist)
    lenet = training.run_spec(LENET, 0, tiny_mnist)
    softmax = {**lenet, "model": "softmax", "model_kwargs": {}}
    before = store.run_key(lenet, fingerprint), store.run_key(softmax, fingerprint)
    lock = json.loads(versions.LOCK.read_text())
    lock["units"]["model:lenet5"].update(version=2, keys={"1": None, "2": "lenet5 v2"})
    monkeypatch.setattr(versions, "lock", lambda: lock)
    assert store.run_key(lenet, fingerprint) != before[0]
    assert store.run_key(softmax, fingerprint) == before[1]
    # A model's runs follow its builder's unit under the model's own name (softmax: softmax_regression).
    lock["units"]["model:softmax_regression"].update(version=2, keys={"1": None, "2": "softmax v2"})
    assert store.run_key(softmax, fingerprint) != before[1]
    lock["units"]["model:softmax_regression"].update(version=1)
    assert store.run_key(softmax, fingerprint) == before[1]
    lock["units"]["training"].update(version=2, keys={**lock["units"]["training"]["keys"], "2": "training v2"})
    assert store.run_key(softmax, fingerprint) != before[1]


def test_a_same_numbers_declaration_is_written_atomically_with_its_evidence(tmp_path, monkeypatch):
    lock_file = tmp_path / "code.lock.json"
    shutil.copy(versions.LOCK, lock_file)
    monkeypatch.setattr(versions, "LOCK", lock_file)
    versions.lock.cache_clear()
    copy = copy_of_package(tmp_path)
    edit(copy / "training" / "data.py", "def kib_rounded_up(", "def unused():\n    return 0\n\n\ndef kib_rounded_up(")
    try:
        evidence = {"command": "python -m mnist_utils.runs.verify 2", "cpu": "here", "threads": "intra 1, inter 1"}
        edit(copy / "runs" / "weights.py", "captured = {}", "captured = dict()")
        # Only a unit whose stored results repeated is declared; the other stays unlocked, named.
        declared = versions.declare_same_numbers("a helper nothing calls", {"training": ["softmax abc"]}, evidence, copy)
        assert declared == (["training"], ["probe:final_weights"])
        assert [p.split(":")[0] + ":" + p.split(":")[1] for p in versions.problems(copy)] == ["probe:final_weights"]
        entry = json.loads(lock_file.read_text())["units"]["training"]["digests"][-1]
        assert entry["same_numbers"] == "a helper nothing calls" and entry["version"] == 1
        assert entry["repeated"] == ["softmax abc"] and entry["threads"] == "intra 1, inter 1"
        assert versions.declare_same_numbers("again", {"training": ["softmax abc"]}, evidence, copy) == \
            ([], ["probe:final_weights"])
    finally:
        versions.lock.cache_clear()


def test_an_unknown_unit_or_unreadable_lock_is_a_one_line_error(tmp_path, monkeypatch):
    with pytest.raises(versions.LockError, match="no unit 'model:nope'"):
        versions.key_token("model:nope")
    broken = tmp_path / "code.lock.json"
    broken.write_text("{not json")
    monkeypatch.setattr(versions, "LOCK", broken)
    versions.lock.cache_clear()
    try:
        with pytest.raises(versions.LockError, match="code.lock.json: unreadable") as err:
            versions.lock()
        assert "\n" not in str(err.value)
    finally:
        versions.lock.cache_clear()


@pytest.mark.skipif(not Path(os.environ.get("MNIST_MIRROR", "/nonexistent")).is_dir(),
                    reason="$MNIST_MIRROR does not point at the MNIST files")
@pytest.mark.slow
def test_every_stored_run_stays_reachable():
    # Keys are recomputed from the stored specs with this code's tokens, on each of the data the book
    # trains on (the standard split, its raw 0-255 pixels, Table 2's 60,000 images): every stored
    # entry of the full data must be found under its own name.
    mnist = data.load()
    fingerprints = [store.data_fingerprint(m) for m in
                    (mnist, runsets.with_raw_pixels(mnist), runsets.with_validation_in_training(mnist))]
    entries = [store.decode(p.read_text(), p) for p in store.RunStore(Path("data/runs")).entries()]
    full = [e for e in entries if e.spec["n_test"] == len(mnist.test)]
    assert len(full) > 400   # not a vacuous check: the book of record holds hundreds
    lost = [e.key[:12] for e in full
            if all(store.run_key(e.spec, f, e.record.get("backend")) != e.key for f in fingerprints)]
    assert lost == []


def test_the_lock_records_the_command_that_repeats_the_check_without_its_declaration():
    args = argparse.Namespace(per_model=2, models=["lenet5"], gradient_probes=0, probe_keys=True,
                              store=str(paths.RUNS), declare="same numbers", flax=0)
    assert verify.repeat_command(args) == \
        "python -m mnist_utils.runs.verify 2 --models lenet5 --gradient-probes 0 --probe-keys"
    assert verify.repeat_command(argparse.Namespace(**{**vars(args), "store": "/tmp/s", "probe_keys": False})) \
        .endswith("--gradient-probes 0 --store /tmp/s")
    assert verify.repeat_command(argparse.Namespace(**{**vars(args), "flax": 2})).endswith("--flax 2 --probe-keys")
