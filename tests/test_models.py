"""mnist_utils.training.models: shapes, parameter counts, dropout, and the validation of model parameters."""
import numpy as np
import pytest

from mnist_utils.training import models

pytestmark = pytest.mark.backend


def test_softmax_regression_shape_and_parameters():
    model = models.build("softmax")
    assert model.count_params() == 784 * 10 + 10
    assert model(np.zeros((3, 28, 28), np.float32)).shape == (3, 10)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "elu"])
def test_lenet5_has_lecun_layout(activation):
    model = models.build("lenet5", activation=activation)
    # C1 156 + C3 2,416 + F5 48,120 + F6 10,164 + output 850
    assert model.count_params() == 61_706
    assert model.get_layer("C1").output.shape[1:] == (28, 28, 6)
    assert model.get_layer("S4").output.shape[1:] == (5, 5, 16)
    assert model(np.zeros((2, 28, 28), np.float32)).shape == (2, 10)
    assert model.get_layer("F5").activation.__name__ == activation


def test_lenet5_dropout_sits_before_the_output_layer():
    model = models.build("lenet5", activation="relu", dropout_rate=models.dropout_rate_from_keep_prob(0.5))
    names = [layer.name for layer in model.layers]
    assert names[-2:] == ["dropout", "output"]
    assert model.get_layer("dropout").rate == pytest.approx(0.5)
    assert "dropout" not in [layer.name for layer in models.build("lenet5", activation="relu").layers]


@pytest.mark.parametrize("kwargs, culprit", [
    ({"activation": "swishy"}, "activation='swishy'"),
    ({"activation": "relu", "dropout_rate": 1.0}, "dropout_rate=1.0"),
    ({"activation": "relu", "pooling": "median"}, "pooling='median'"),
    ({"activation": "relu", "widths": 3}, "model='lenet5'"),
])
def test_bad_model_parameters_raise_one_line_errors(kwargs, culprit):
    with pytest.raises(models.ModelConfigError) as exc:
        models.build("lenet5", **kwargs)
    assert culprit in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize("keep_prob, rate", [(0.5, 0.5), (1.0, 0.0), (0.75, 0.25), (None, 0.0)])
def test_keep_prob_is_converted_to_a_dropout_rate(keep_prob, rate):
    assert models.dropout_rate_from_keep_prob(keep_prob) == pytest.approx(rate)


@pytest.mark.parametrize("keep_prob", [0, -0.1, 1.5, "half"])
def test_bad_keep_prob_is_rejected(keep_prob):
    with pytest.raises(models.ModelConfigError, match="keep_prob="):
        models.dropout_rate_from_keep_prob(keep_prob)


def test_the_fully_connected_network_carries_its_builders_key_token_and_refuses_another():
    kwargs = models.fully_connected_kwargs("relu")
    model = models.build("fully_connected", **kwargs)
    assert model.count_params() == 784 * 120 + 120 + 120 * 84 + 84 + 84 * 10 + 10
    with pytest.raises(models.ModelConfigError, match="code='stale': not the fully connected builder"):
        models.build("fully_connected", activation="relu", code="stale")
    # The token its stored runs carry (the builder's digest when they were trained).
    assert kwargs["code"] == "02337c11f7fddec34eb2b45f2b7858f2f48497d08d522a4475cae4e2e0c188ad"
