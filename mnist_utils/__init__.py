"""Helpers of the book that replicates two MNIST papers (see the README for the modules)."""
import os

# TensorFlow's C++ log lines would reach a notebook's stderr under a reader's plain papermill
# call (the runner sets this for its own kernels): silence them before TensorFlow loads.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# On the JAX backend, XLA picks GPU kernels by speed, some of them non-deterministic; this
# flag forbids those (see backend.py). JAX reads it when it starts, so it is set here.
if os.environ.get("KERAS_BACKEND") == "jax" and "xla_gpu_deterministic_ops" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_gpu_deterministic_ops=true").strip()
