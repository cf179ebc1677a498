"""The old site's manage.py: run it with the plugin's virtualenv, isolated, from this folder, e.g.

DATABASE_URL=sqlite:////tmp/old.sqlite3 MEDIA_ROOT=/tmp/old-media \
    ../../../.venv-openedx-plugin/bin/python -I manage.py showmigrations learning_credentials
"""

import os
import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "old_site_settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
