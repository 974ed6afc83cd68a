"""The Flax models and their training step (mnist_utils.training.flax_models, flax_train): the
same sizes as the Keras models, one-line errors, determinism by seed, and an update that learns."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from mnist_utils.training import flax_models, flax_train

BATCH = jax.random.uniform(jax.random.key(0), (8, 28, 28))
LABELS = jnp.arange(8) % 10


@pytest.mark.parametrize("name, kwargs, count", [
    ("softmax", {}, 7_850),
    ("lenet5", {"activation": "sigmoid"}, 61_706),           # the Keras LeNet-5's parameters
    ("lenet5", {"activation": "elu", "dropout_rate": 0.5}, 61_706),
    ("liu_fu_cnn", {"widths": [16, 32, 32]}, 72_506),         # the Keras CNN's trainable parameters at 16/32/32
    ("liu_fu_cnn", {"widths": [16, 32, 32], "batch_norm": False, "factorised": False}, 71_466),
])
def test_each_model_has_the_keras_models_parameters_and_ten_logits(name, kwargs, count):
    model = flax_models.build(name, 0, **kwargs)
    assert flax_models.parameter_count(model) == count
    model.eval()
    assert model(BATCH[:2]).shape == (2, 10)


@pytest.mark.parametrize("name, kwargs, culprit", [
    ("lenet5", {"activation": "swish"}, "activation='swish'"),
    ("lenet5", {"dropout_rate": 1.0}, "dropout_rate=1.0"),
    ("liu_fu_cnn", {"widths": [16, 32]}, "widths=[16, 32]"),
    ("liu_fu_cnn", {"final_pool": "min"}, "final_pool='min'"),
    ("liu_fu_cnn", {"bn_momentum": 1.5}, "bn_momentum=1.5"),
    ("resnet", {}, "model='resnet'"),
    ("softmax", {"widths": [1]}, "model='softmax'"),
])
def test_bad_model_arguments_are_one_line_errors_naming_them(name, kwargs, culprit):
    with pytest.raises(flax_models.ModelConfigError) as err:
        flax_models.build(name, 0, **kwargs)
    assert str(err.value).startswith(culprit) and "\n" not in str(err.value)


def test_images_of_another_shape_are_refused_by_name():
    with pytest.raises(flax_models.ModelConfigError, match=r"images of shape \(8, 784\)"):
        flax_models.build("lenet5", 0)(BATCH.reshape(8, 784))


@pytest.mark.slow
def test_a_seed_fixes_the_initial_weights_and_the_update():
    def trained(seed):
        model = flax_models.build("liu_fu_cnn", seed, widths=[4, 8, 8])
        step = flax_train.optimizer(model, "adam", 1e-3)
        loss = flax_train.train_step(model, step, BATCH, LABELS)
        return float(loss), jax.tree.leaves(nnx.state(model, nnx.Param))

    (loss_a, params_a), (loss_b, params_b), (_, params_c) = trained(3), trained(3), trained(4)
    assert loss_a == loss_b and all(np.array_equal(a, b) for a, b in zip(params_a, params_b))
    assert not all(np.array_equal(a, c) for a, c in zip(params_a, params_c))


@pytest.mark.slow
@pytest.mark.parametrize("name, kwargs, optimizer, rate", [
    ("softmax", {}, "sgd", 0.5),
    ("lenet5", {"activation": "relu"}, "adam", 1e-2),
    ("liu_fu_cnn", {"widths": [4, 8, 8]}, "adam", 1e-2),
])
def test_repeated_updates_on_one_batch_lower_its_loss(name, kwargs, optimizer, rate):
    model = flax_models.build(name, 0, **kwargs)
    step = flax_train.optimizer(model, optimizer, rate)
    losses = [float(flax_train.train_step(model, step, BATCH, LABELS)) for _ in range(30)]
    assert losses[-1] < 0.5 * losses[0], losses


def test_dropout_draws_in_training_and_rests_in_inference():
    model = flax_models.build("lenet5", 0, activation="relu", dropout_rate=0.5)
    model.train()
    assert not np.array_equal(model(BATCH), model(BATCH))
    model.eval()
    assert np.array_equal(model(BATCH), model(BATCH))


@pytest.mark.slow
def test_the_moving_statistics_follow_the_declared_momentum():
    means = {}
    for momentum in (0.9, 0.99):
        model = flax_models.build("liu_fu_cnn", 0, widths=[4, 8, 8], bn_momentum=momentum)
        flax_train.train_step(model, flax_train.optimizer(model, "adam", 1e-3), BATCH, LABELS)
        means[momentum] = np.asarray(model.b1.mean[...])
    # One step from zero: the moving mean is (1 - momentum) × the batch mean.
    np.testing.assert_allclose(means[0.9], 10 * means[0.99], rtol=1e-4, atol=1e-7)
    assert np.abs(means[0.9]).max() > 0


def test_an_unknown_optimizer_or_rate_is_named():
    model = flax_models.build("softmax", 0)
    with pytest.raises(flax_models.ModelConfigError, match="optimizer='lbfgs'"):
        flax_train.optimizer(model, "lbfgs", 0.1)
    with pytest.raises(flax_models.ModelConfigError, match="learning_rate=0"):
        flax_train.optimizer(model, "sgd", 0)
