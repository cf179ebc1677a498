#!/usr/bin/env python
"""A minimal Open edX-style LMS: plugins are found and wired by edx-django-utils, as the LMS does."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms_host.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
