"""The app's bytecode, shipped with its source: `chalicelib/**/__pycache__/*.pyc`,
written just before `chalice package` and `chalice deploy` zip the project (Chalice
zips everything under chalicelib/).

Lambda's /var/task is read-only: without these, every cold start compiles each of the
app's modules again (about a third of `import app`, docs/figures.md "Cold start").
They are checked-hash pycs: Python uses one only while it matches its source's hash,
so a stale one (an edit after packaging, a file's date changed by the zip) is compiled
again as before, never run. They are for this Python (`cpython-311` for 3.11), the
runtime Chalice picks for the function from the Python that packages it.
"""

from __future__ import annotations

import compileall
import py_compile
from pathlib import Path

APP_PACKAGE = "chalicelib"


def compile_app(project_dir: Path) -> bool:
    """Write the app package's pycs; False when a module does not compile (Chalice
    would ship it anyway, and Lambda would raise at import as it always did)."""
    return bool(
        compileall.compile_dir(
            project_dir / APP_PACKAGE,
            quiet=1,
            invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
        )
    )
