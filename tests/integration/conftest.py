"""Fixtures of the integration tests: real Celery processes (see ``processes.py``)."""

import pytest

from tests.integration.processes import CeleryProcesses


@pytest.fixture
def celery_processes(tmp_path):
    """A factory: ``celery_processes(broker_url)`` gives a CeleryProcesses on a new queue of that broker."""
    started: list[CeleryProcesses] = []

    def make(broker: str) -> CeleryProcesses:
        processes = CeleryProcesses(tmp_path, broker)
        started.append(processes)
        return processes

    yield make
    for processes in started:
        processes.stop()
        processes.forget_queue()
