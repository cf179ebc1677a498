"""A storage that holds a worker in the middle of generating, for the crash tests.

The worker loads it through the sandbox setting ``LC_ARTIFACT_STORAGE`` (the artifact storage,
a production seam). ``save()`` writes ``started-<pid>`` into the directory named by
``LC_TEST_LATCH_DIR``, then waits while a file ``hold`` exists there (up to a minute), so the
test knows which process is mid-task and can kill it there. With a file ``after-write`` there
too, it waits after writing the file instead of before.
"""

import os
import time
from pathlib import Path

from django.core.files.storage import FileSystemStorage

POLL_SECONDS = 0.05
GIVE_UP_SECONDS = 60


class LatchStorage(FileSystemStorage):
    def save(self, name, content, max_length=None):
        latch = Path(os.environ["LC_TEST_LATCH_DIR"]) if os.environ.get("LC_TEST_LATCH_DIR") else None
        if latch is None or not (latch / "after-write").exists():
            self._wait(latch)
            return super().save(name, content, max_length=max_length)
        name = super().save(name, content, max_length=max_length)
        self._wait(latch)
        return name

    @staticmethod
    def _wait(latch: Path | None) -> None:
        if latch is None:
            return
        (latch / f"started-{os.getpid()}").touch()
        deadline = time.monotonic() + GIVE_UP_SECONDS
        while (latch / "hold").exists() and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
