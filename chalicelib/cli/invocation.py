"""How to type ``aofctl`` on this machine, for the commands we print ("Try: ...", "follow it: ...").

``aofctl`` when it is on the PATH; otherwise the virtualenv's own script, or the module form,
so that a printed command works when pasted into the same shell.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def aofctl_command(cwd: Path | None = None) -> str:
    found = shutil.which("aofctl")
    # Not resolved: the virtualenv's python is a link to the system one.
    if found and Path(found).absolute().parent == Path(sys.executable).absolute().parent:
        return "aofctl"
    here = Path(cwd or os.getcwd())
    script = Path(sys.executable).absolute().parent / "aofctl"
    if script.exists():
        try:
            return str(script.relative_to(here))
        except ValueError:
            return str(script)
    return f"{sys.executable} -m chalicelib.cli.main"
