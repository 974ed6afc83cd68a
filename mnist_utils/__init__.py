"""Helpers of the book that replicates two MNIST papers (see the README for the modules)."""
import os

# TensorFlow's C++ log lines would reach a notebook's stderr under a reader's plain papermill
# call (the runner sets this for its own kernels): silence them before TensorFlow loads.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
