"""Switching a site over from the open-craft plugin (the package index's ``learning-credentials`` 0.5.x).

That plugin uses our import package and app label, its own migrations ``0001``-``0010`` and the same
table names, so a site that swaps packages needs its data moved, not migrated: ``detection`` tells
such a database apart (for ``check`` and ``migrate``), ``mapping`` translates its functions and
options into ours (pure), and ``importer`` keeps its tables aside and imports their rows, resumably.
"""
