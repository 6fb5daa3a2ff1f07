"""A local wheelhouse built from the installed packages, so `chalice deploy` can
package `requirements.txt` without reaching PyPI (the tests and `make rehearse` never
touch the internet)."""

from __future__ import annotations

import zipfile
from importlib import metadata
from pathlib import Path


def requirement_names(requirements: Path) -> list[str]:
    names = []
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line.split("==")[0].strip())
    return names


def wheel_from_installed(name: str, dest: Path) -> Path:
    """Zip an installed pure-Python distribution (its files and dist-info) as a wheel."""
    dist = metadata.distribution(name)
    normalized = dist.metadata["Name"].replace("-", "_")
    wheel = dest / f"{normalized}-{dist.version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in dist.files or []:
            path = Path(str(dist.locate_file(file)))
            if path.is_file() and "__pycache__" not in file.parts:
                archive.write(path, str(file))
    return wheel


def build_wheelhouse(requirements: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in requirement_names(requirements):
        wheel_from_installed(name, dest)
    return dest
