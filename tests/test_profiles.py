"""Profiles and the parameters they give each chapter."""
import numpy as np
import pytest

from mnist_utils.core import profiles


def test_parameters_in_takes_the_declared_names_and_names_a_missing_unknown_or_ill_typed_one():
    declared = profiles.notebook_parameters(profiles.paths.NOTEBOOKS / "06_improved_cnn.ipynb")
    namespace = dict(declared) | {"mnist": object(), "np": np, "In": [""], "_i1": "text", "profiles": profiles}
    assert profiles.parameters_in(namespace, "06_improved_cnn") == declared
    assert profiles.parameters_in(namespace | {"learning_rate": 1, "steps": None}, "06_improved_cnn")["learning_rate"] == 1
    with pytest.raises(profiles.RunError, match=r"^06_improved_cnn: unknown parameter sedes=\[0, 1\] \(its parameters: "):
        profiles.parameters_in(namespace | {"sedes": [0, 1]}, "06_improved_cnn")
    with pytest.raises(profiles.RunError, match=r"^06_improved_cnn: parameter steps='20000': must be an integer"):
        profiles.parameters_in(namespace | {"steps": "20000"}, "06_improved_cnn")
    with pytest.raises(profiles.RunError, match=r"parameter steps=True: must be an integer"):
        profiles.parameters_in(namespace | {"steps": True}, "06_improved_cnn")
    with pytest.raises(profiles.RunError, match=r"parameter seeds=3: must be a list"):
        profiles.parameters_in(namespace | {"seeds": 3}, "06_improved_cnn")
    del namespace["seeds"]
    with pytest.raises(profiles.RunError, match="06_improved_cnn: parameters seeds missing"):
        profiles.parameters_in(namespace, "06_improved_cnn")


def test_chapter_parameters_layer_the_profile_over_the_notebook_defaults():
    defaults = profiles.notebook_parameters(profiles.paths.NOTEBOOKS / "02_softmax_baseline.ipynb")
    smoke = profiles.chapter_parameters("02_softmax_baseline", "smoke")
    assert set(smoke) == set(defaults) and smoke["profile"] == "smoke"
    assert smoke["table_digits"] == 2 and defaults["table_digits"] == 4
    assert profiles.chapter_parameters("02_softmax_baseline", "smoke", {"steps": 7})["steps"] == 7


def test_profile_values_refuse_a_parameter_the_chapter_does_not_declare():
    spec = profiles.load_profile("smoke")
    with pytest.raises(profiles.RunError, match="unknown parameter"):
        profiles.profile_values("02_softmax_baseline", "smoke", spec, {"no_such_parameter": 1})
