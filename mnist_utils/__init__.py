"""Helpers of the book that replicates two MNIST papers (see the README for the modules)."""
import os
import sys

from .core import paths

# TensorFlow's C++ log lines would reach a notebook's stderr under a reader's plain papermill
# call (the runner sets this for its own kernels): silence them before TensorFlow loads. One
# line escapes it on some processors: the oneDNN banner ("oneDNN custom operations are on"),
# printed while TensorFlow loads, before its logging starts. Only TF_ENABLE_ONEDNN_OPTS=0 would
# remove it, and that changes the arithmetic, so it is left alone; runner.clean_executed drops it
# from executed notebooks, and the training command line (below) checks its arguments
# before TensorFlow loads.
os.environ.setdefault(paths.TF_LOG_LEVEL_ENV, "3")

# On the JAX backend, XLA picks GPU kernels by speed, some of them non-deterministic; this
# flag forbids those (see backend.py). JAX reads it when it starts, so it is set here.
_xla_flags = os.environ.get(paths.XLA_FLAGS_ENV, "")
if os.environ.get(paths.KERAS_BACKEND_ENV) == "jax" and "xla_gpu_deterministic_ops" not in _xla_flags:
    os.environ[paths.XLA_FLAGS_ENV] = (_xla_flags + " --xla_gpu_deterministic_ops=true").strip()


def _started_as(module: str) -> bool:
    """Whether this process is ``python -m <module>``. It can only be asked here, while runpy
    imports this package before it runs the module: sys.argv[0] is then "-m"."""
    argv = getattr(sys, "orig_argv", [])
    return sys.argv[:1] == ["-m"] and any(
        (a == "-m" and b == module) or a == "-m" + module for a, b in zip(argv, argv[1:] + [""]))


def _load_models_on_first_use() -> None:
    """Register ``models`` (which imports Keras, hence TensorFlow) unexecuted: it runs the first
    time one of its names is used. ``chapters`` and ``train`` import it at the top but use it
    only when they build or train a model."""
    import importlib.util

    spec = importlib.util.find_spec(f"{__name__}.training.models")
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    sys.modules[f"{__name__}.training"].models = module


# The training command line (``python -m mnist_utils.runs.fill``) checks its arguments before
# TensorFlow loads: a mistyped chapter or parameter is answered at once, and with its error
# line alone, not after the lines TensorFlow prints while it loads (see above).
if _started_as(f"{__name__}.runs.fill"):
    _load_models_on_first_use()
