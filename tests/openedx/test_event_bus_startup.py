"""An LMS that publishes our events to the event bus starts: they exist when openedx-events checks its settings.

openedx-events validates EVENT_BUS_PRODUCER_CONFIG in its AppConfig.ready(), whatever the order of
INSTALLED_APPS; an event type it does not know stops the LMS from starting. Django's start-up is
once per process, so each case starts a Python process of its own.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from learning_credentials.events import LEARNING_CREDENTIAL_AVAILABLE, LEARNING_CREDENTIAL_INVALIDATED

EXAMPLE = Path(__file__).resolve().parents[2] / "example"
OURS = [LEARNING_CREDENTIAL_AVAILABLE.event_type, LEARNING_CREDENTIAL_INVALIDATED.event_type]


def start_lms(tmp_path, *, event_types: list[str]) -> subprocess.CompletedProcess:
    """django.setup() of the sandbox with openedx-events first in INSTALLED_APPS and these events published."""
    (tmp_path / "bus_settings.py").write_text(
        textwrap.dedent(
            f"""
            from sandbox.settings import *  # noqa: F403

            INSTALLED_APPS = ["openedx_events", *INSTALLED_APPS]  # noqa: F405 - it checks before ours is ready
            EVENT_BUS_PRODUCER_CONFIG = {{
                event_type: {{"learning-credentials": {{"event_key_field": "credential.uuid", "enabled": True}}}}
                for event_type in {event_types!r}
            }}
            """
        )
    )
    script = "import django; django.setup(); print('started')"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bus_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(EXAMPLE), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)


def test_the_lms_starts_with_our_events_on_the_event_bus(tmp_path):
    started = start_lms(tmp_path, event_types=OURS)
    assert started.returncode == 0, started.stderr[-2000:]
    assert started.stdout.strip() == "started"


@pytest.mark.parametrize("unknown", ["org.learningcredentials.learning.credential.unknown.v1"])
def test_an_unknown_event_type_still_stops_it(tmp_path, unknown):
    """The check is openedx-events' own, and it is live: what it does not know stops the start-up."""
    started = start_lms(tmp_path, event_types=[*OURS, unknown])
    assert started.returncode != 0 and f"No OpenEdxPublicSignal of type: '{unknown}'" in started.stderr
