"""Sphinx configuration of the learning-credentials documentation.

The pages are written by hand (no autodoc), so building them needs neither Django settings
nor a database: only the package's version is read, from learning_credentials/__init__.py.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from learning_credentials import __version__  # noqa: E402 - needs the repository root on sys.path

project = "learning-credentials"
author = "learning-credentials maintainers"
copyright = "the learning-credentials maintainers"  # noqa: A001 - the name Sphinx reads
version = __version__
release = __version__

extensions = []
templates_path = []
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
root_doc = "index"
language = "en"

html_theme = "furo"
html_title = f"learning-credentials {release}"
html_static_path = []

# `make docs` builds with -W: a broken cross-reference or a missing toctree entry fails the build.
nitpicky = True
