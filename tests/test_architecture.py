"""The layering the design guide asks for, checked on the real import graph (grimp, as import-linter uses).

Every import counts, including those inside functions: a lazy import hides a circle from
Python at start-up, not from a reader or a refactor.
"""

import grimp
import pytest

PACKAGE = "learning_credentials"
TASKS = f"{PACKAGE}.tasks"
# Sub-apps register their own periodic tasks beside the core's (the exams' idle-attempt sweep).
SUB_APP_TASKS = {f"{PACKAGE}.exams.tasks"}
# A sub-app's AppConfig registers its tasks in ready(), as the core's apps.py does: an entry point, not a service.
SUB_APP_CONFIGS = {f"{PACKAGE}.exams.apps"}
DISPATCH = f"{PACKAGE}.services.dispatch"
SUB_APPS = (f"{PACKAGE}.credits", f"{PACKAGE}.exams")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE, include_external_packages=True)


def ours(graph, *, under: str = PACKAGE) -> list[str]:
    return sorted(module for module in graph.modules if module == under or module.startswith(f"{under}."))


def importers_of(graph, package: str) -> set[str]:
    return {
        importer
        for imported in ours(graph, under=package)
        if imported in graph.modules
        for importer in graph.find_modules_that_directly_import(imported)
        if importer.startswith(f"{PACKAGE}.")
    }


def test_no_service_reaches_the_tasks(graph):
    """Services hand work to workers through the dispatch port only; tasks import services, never the reverse."""
    services = ours(graph, under=f"{PACKAGE}.services") + [
        module
        for sub_app in SUB_APPS
        for module in ours(graph, under=sub_app)
        if module not in SUB_APP_TASKS | SUB_APP_CONFIGS
    ]
    chains = {
        (service, tasks): chain
        for service in services
        for tasks in (TASKS, *SUB_APP_TASKS)
        if (chain := graph.find_shortest_chain(importer=service, imported=tasks))
    }
    assert chains == {}


def test_only_the_dispatch_port_talks_to_the_broker(graph):
    assert "kombu" in graph.modules and "celery" in graph.modules
    assert importers_of(graph, "kombu") == {DISPATCH}
    # Celery itself: the port, and the tasks modules that register the tasks.
    assert importers_of(graph, "celery") == {DISPATCH, TASKS, *SUB_APP_TASKS}


def test_no_circle_among_our_modules(graph):
    """For every import A -> B, nothing that B imports leads back to A."""
    circles = []
    for importer in ours(graph):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if not imported.startswith(f"{PACKAGE}.") or imported == importer:
                continue
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                circles.append(" -> ".join((importer, *back)))
    assert circles == []


@pytest.mark.parametrize("sub_app", SUB_APPS)
def test_the_core_and_the_other_sub_apps_never_import_a_sub_app(graph, sub_app):
    """Sub-apps plug in through the core's signals and services; the core works without them installed."""
    outside = {module for module in importers_of(graph, sub_app) if not module.startswith(f"{sub_app}.")}
    assert outside == set()


def test_the_checks_see_an_import_inside_a_function(tmp_path, monkeypatch):
    """The graph counts lazy imports, so the checks above cannot be dodged by moving an import into a function."""
    package = tmp_path / "lazy_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from . import b\n")
    (package / "b.py").write_text("from . import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    lazy = grimp.build_graph("lazy_pkg")
    assert lazy.find_shortest_chain(importer="lazy_pkg.a", imported="lazy_pkg.b") == ("lazy_pkg.a", "lazy_pkg.b")
    assert lazy.find_shortest_chain(importer="lazy_pkg.b", imported="lazy_pkg.a") == ("lazy_pkg.b", "lazy_pkg.a")


def test_rendering_is_imported_without_django_configured():
    """The renderer is pure: the render benchmark imports it with no settings (a gettext call at import broke it)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    environment = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", "import learning_credentials.rendering, learning_credentials.rendering.share_image"],
        cwd=Path(__file__).resolve().parent.parent,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
