"""Browser tests: Playwright's sync API driving Debian's Chromium against pytest-django's live server.

How to write one (see test_learner_pages.py):

- Ask for ``browser`` (a :class:`BrowserSession`) and for the data fixtures you need. Data is
  made with the ORM *before* the browser starts: fixtures run first, and the browser starts
  lazily, at the test's first ``browser.new_page()``.
- Once it has started, Playwright's event loop runs in the test's thread, and Django refuses
  ORM calls from a thread with a running event loop (SynchronousOnlyOperation). For ORM work
  after that (a check of what a click changed, one more row), use ``orm(callable, *args)``: it
  runs the callable in a worker thread, which has no event loop, and closes that thread's
  database connections. DJANGO_ALLOW_ASYNC_UNSAFE is never needed.
- Other requests to the app (a signed webhook, say) can go through ``page.request.post(...)``
  or plain ``urllib``/``requests`` against ``live_server.url``: the server runs in its own thread.
- ``browser.screenshot(page, "step")`` keeps a full-page PNG in test-artifacts/browser/
  (git-ignored); a failing test also gets one of every open page.

Every test in this folder is marked ``browser`` (registered in pyproject.toml): the pages do
not depend on the database engine, so CI runs them once, on SQLite.
"""

import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connections

from learning_credentials.lifecycle import Status
from learning_credentials.services import credential_issue

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# As python-svc.md says Chromium runs here: no network chatter to Google's hosts, no sandbox (root), no GPU.
# Playwright adds --headless itself, and gives every launch a new, empty user-data-dir.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
TIMEOUT_MS = 15_000
PASSWORD = "correct horse battery staple"
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[_call_failed] = report.failed
    return report


_call_failed = pytest.StashKey[bool]()


class BrowserSession:
    """One test's Chromium, started on first use; pages open on the live server (relative URLs work)."""

    def __init__(self, base_url: str, test_name: str):
        self.base_url = base_url
        self.test_name = re.sub(r"[^\w.-]+", "_", test_name)
        self._playwright = None
        self._browser = None
        self.contexts = []
        # Playwright turns Chromium's back/forward cache off; a test of a restored page turns it on first.
        self.back_forward_cache = False
        for stale in ARTIFACTS.glob(f"{self.test_name}-*.png"):
            stale.unlink()

    def _chromium(self):
        if self._browser is None:
            if not Path(CHROMIUM).exists():
                pytest.fail(f"{CHROMIUM} is missing: `make sysdeps` installs Debian's chromium (or set CHROMIUM_PATH).")
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_ARGS,
                ignore_default_args=["--disable-back-forward-cache"] if self.back_forward_cache else None,
            )
        return self._browser

    def new_page(self, *, permissions: tuple[str, ...] = (), viewport: dict | None = None, **context_options):
        """A page in a new context: its own cookies, so each one is a different visitor (anonymous at first)."""
        context = self._chromium().new_context(
            base_url=self.base_url,
            permissions=list(permissions),
            viewport=viewport or {"width": 1100, "height": 900},
            **context_options,
        )
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        return context.new_page()

    def sign_in(self, page, username: str, password: str = PASSWORD, *, next_url: str = "/"):
        """Sign in through the host's login form (the sandbox's /accounts/login/), landing on ``next_url``."""
        page.goto(f"/accounts/login/?next={next_url}")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"**{next_url}")
        return page

    def screenshot(self, page, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.test_name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def close(self, *, failed: bool = False):
        try:
            if failed:
                for number, context in enumerate(self.contexts):
                    for index, page in enumerate(context.pages):
                        self.screenshot(page, f"failure-{number}-{index}")
        finally:
            for context in self.contexts:
                context.close()
            if self._browser is not None:
                self._browser.close()
            if self._playwright is not None:
                self._playwright.stop()


@pytest.fixture(autouse=True)
def _served_by_live_server(live_server, settings):
    """Public links (verify URL, QR, LinkedIn certUrl) point at the live server, so a browser can follow them."""
    settings.LMS_ROOT_URL = live_server.url


@pytest.fixture
def browser(live_server, request):
    """The test's browser. It depends on live_server, so it closes before the database is flushed."""
    session = BrowserSession(live_server.url, request.node.name)
    yield session
    session.close(failed=request.node.stash.get(_call_failed, False))


@pytest.fixture
def orm(transactional_db):
    """Run ORM work while the browser is open: ``orm(fn, *args, **kwargs)`` runs it in a thread without a loop."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="browser-test-orm")

    def run(function: Callable, *args, **kwargs):
        def call():
            try:
                return function(*args, **kwargs)
            finally:
                connections.close_all()

        return executor.submit(call).result(timeout=60)

    yield run
    executor.shutdown(wait=True)


@pytest.fixture
def learner_with_password(learner):
    """The ``learner`` fixture (ada, "Ada Lovelace", enrolled) with a password the login form accepts."""
    learner.set_password(PASSWORD)
    learner.save(update_fields=["password"])
    return learner


@pytest.fixture
def available_credential(configuration, learner_with_password):
    """Ada's credential, issued and generated (Celery runs eagerly; the live server's tests have no wrapping
    transaction, so the generation queued on commit runs at once), public as the site default says."""
    credential = credential_issue(user_id=learner_with_password.pk, configuration=configuration, source="schedule")
    credential.refresh_from_db()
    assert credential.status == Status.AVAILABLE, credential.status
    return credential
