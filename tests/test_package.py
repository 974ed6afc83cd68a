"""mnist_utils itself (its __init__): importing it first silences TensorFlow's log lines."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from mnist_utils import runner
from mnist_utils.core import paths

# Lines TensorFlow prints on some processors only, whatever the log level: the oneDNN banner,
# written while it loads, before its logging starts (TF_CPP_MIN_LOG_LEVEL cannot reach it; only
# TF_ENABLE_ONEDNN_OPTS=0, which changes the arithmetic, removes it). No test may depend on them.
UNSILENCEABLE = re.compile(r"^WARNING: All log messages before absl::InitializeLog\(\)|"
                           r".*\] oneDNN custom operations are on")


@pytest.mark.slow
def test_importing_mnist_utils_first_silences_tensorflow_logs():
    """Under a reader's papermill call (no runner to set the log level) TensorFlow's C++ log
    lines reach the notebook's stderr; chapters import mnist_utils before TensorFlow, which
    silences them. (Under pytest a kernel's C-level stderr does not reach the notebook, so
    this is checked in a plain subprocess.)"""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    # Logging device placement makes TensorFlow's C++ code log (at INFO) each op it runs, on any
    # processor: lines that the log level must silence, and that show the check can see them.
    work = "tensorflow.debugging.set_log_device_placement(True); keras.layers.Dense(2)(tensorflow.zeros((1, 2)))"

    def log_lines(imports: str) -> list[str]:
        stderr = subprocess.run([sys.executable, "-c", f"import {imports}; {work}"], cwd=paths.ROOT, env=env,
                                capture_output=True, text=True, check=True).stderr
        return [line for line in stderr.splitlines() if runner.TF_LOG_LINE.match(line) and not UNSILENCEABLE.match(line)]

    unsilenced = log_lines("tensorflow, keras")
    assert any("Executing op" in line for line in unsilenced), f"TensorFlow logged no op it ran: {unsilenced}"
    assert log_lines("mnist_utils, tensorflow, keras") == []
