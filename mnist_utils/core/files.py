"""Atomic file writes: a reader never sees half a file, a crash never leaves one."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO


def write_atomically(path: Path, content: str | Callable[[IO[str]], None], durable: bool = False) -> Path:
    """Write ``content`` (text, or a function writing to an open text file) to a temporary
    file beside ``path`` and move it into place; ``durable`` also flushes it to disk first
    (run-store entries, which are written once and must survive a crash of the machine)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w") as fh:
            if callable(content):
                content(fh)
            else:
                fh.write(content)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
