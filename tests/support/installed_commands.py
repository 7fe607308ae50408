"""The installed commands (`warmline`, `rq`) run as an operator runs them: the ones installed
beside this Python, with the tests' environment over the process's own, output captured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_command(
    name: str, *arguments: str, environment: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`name arguments...`, to the end (or `timeout` seconds); its exit status and output."""
    return subprocess.run(
        [str(Path(sys.executable).parent / name), *arguments],
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
