"""Profiles and the parameters they give each chapter."""
import pytest

from mnist_utils.core import profiles


def test_parameters_in_takes_the_names_the_parameters_cell_declares_and_names_a_missing_one():
    declared = profiles.notebook_parameters(profiles.paths.NOTEBOOKS / "06_improved_cnn.ipynb")
    namespace = {name: i for i, name in enumerate(declared)} | {"mnist": object(), "np": None}
    got = profiles.parameters_in(namespace, "06_improved_cnn")
    assert got == {name: i for i, name in enumerate(declared)} and "mnist" not in got
    del namespace["seeds"]
    with pytest.raises(KeyError, match="06_improved_cnn: parameters seeds missing"):
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
