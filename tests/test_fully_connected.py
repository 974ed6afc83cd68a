"""mnist_utils.fully_connected: the fully connected network, keyed by its builder's source."""
from __future__ import annotations

import inspect

import pytest

from mnist_utils import fully_connected, models, store


def test_the_fully_connected_network_is_keyed_by_its_builder_and_refuses_other_code():
    kwargs = fully_connected.model_kwargs("relu")
    model = models.build(fully_connected.NAME, **kwargs)
    assert model.count_params() == 784 * 120 + 120 + 120 * 84 + 84 + 84 * 10 + 10
    with pytest.raises(models.ModelConfigError, match="code='stale': the fully connected network"):
        models.build(fully_connected.NAME, activation="relu", code="stale")
    assert kwargs["code"] == store.source_digest(inspect.getsource(fully_connected.fully_connected))
