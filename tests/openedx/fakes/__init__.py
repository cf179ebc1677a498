"""Fakes of the edx-platform and plugin modules the Open edX adapter imports, under their real dotted paths.

``install(monkeypatch)`` puts a module for each path of MODULES (and empty parent packages)
into ``sys.modules`` for one test. Each fake carries only what the adapter uses, with the
signatures recorded in ``tests/openedx/recorded_signatures.py``; ``test_recorded_signatures``
holds them to it. Models are backed by test-only tables (see ``models``), the rest by
in-memory dicts that ``reset()`` empties.

The plugins that install from the package index (edx-completion, completion-aggregator,
learning-paths-plugin) are real: ``tests.settings`` installs their apps, and ``install`` can hide
the optional ones, as on a platform without them.
"""

import sys
from types import ModuleType

from learning_credentials.adapters import openedx

from . import block_structure, course_modes, grades, models, modulestore, retirement, roles, sites

PLATFORM_MODULES: dict[str, dict[str, object]] = {
    "common.djangoapps.student.models": {
        "UserProfile": models.UserProfile,
        "CourseEnrollment": models.CourseEnrollment,
    },
    "common.djangoapps.student.roles": {
        name: getattr(roles, name)
        for name in ("CourseStaffRole", "CourseInstructorRole", "OrgStaffRole", "OrgInstructorRole")
    },
    "common.djangoapps.course_modes.models": {"CourseMode": course_modes.CourseMode},
    "openedx.core.djangoapps.user_api.models": {"UserPreference": models.UserPreference},
    "openedx.core.djangoapps.user_api.accounts.signals": {
        "USER_RETIRE_LMS_CRITICAL": retirement.USER_RETIRE_LMS_CRITICAL,
        "USER_RETIRE_LMS_MISC": retirement.USER_RETIRE_LMS_MISC,
    },
    "openedx.core.djangoapps.lang_pref": {"LANGUAGE_KEY": "pref-lang"},
    "openedx.core.djangoapps.content.course_overviews.models": {"CourseOverview": models.CourseOverview},
    "openedx.core.djangoapps.site_configuration.models": {"SiteConfiguration": sites.SiteConfiguration},
    "lms.djangoapps.branding.api": {"get_logo_url_for_email": sites.get_logo_url_for_email},
    "xmodule.modulestore.django": {"modulestore": modulestore.modulestore},
    "xmodule.modulestore.mixed": {"MixedModuleStore": modulestore.MixedModuleStore},
    "xmodule.course_block": {"CourseBlock": modulestore.CourseBlock},
    "lms.djangoapps.grades.api": {
        "CourseGradeFactory": grades.CourseGradeFactory,
        "prefetch_course_and_subsection_grades": grades.prefetch_course_and_subsection_grades,
        "clear_prefetched_course_grades": grades.clear_prefetched_course_grades,
    },
    "lms.djangoapps.grades.course_grade": {
        "CourseGrade": grades.CourseGrade,
        "ZeroCourseGrade": grades.ZeroCourseGrade,
    },
    "lms.djangoapps.grades.subsection_grade": {"ReadSubsectionGrade": grades.SubsectionGrade},
    "xmodule.graders": {"AggregatedScore": grades.AggregatedScore},
    "openedx.core.djangoapps.content.block_structure.api": {"get_course_in_cache": block_structure.get_course_in_cache},
    "openedx.core.djangoapps.content.block_structure.block_structure": {
        "BlockStructureBlockData": block_structure.BlockStructureBlockData
    },
    "lms.djangoapps.course_blocks.transformers.visibility": {
        "VisibilityTransformer": block_structure.VisibilityTransformer
    },
}


def install(monkeypatch, *, aggregator: bool = True, learning_paths: bool = True) -> None:
    """Make the fakes importable; an optional plugin left out is hidden (importing its models raises ImportError)."""
    for installed, plugin in ((aggregator, "completion_aggregator.models"), (learning_paths, "learning_paths.models")):
        if not installed:
            monkeypatch.setitem(sys.modules, plugin, None)
    for path, attributes in PLATFORM_MODULES.items():
        module = ModuleType(path)
        module.__dict__.update(attributes)
        _install_module(monkeypatch, module)


def only_our_plugins(monkeypatch) -> None:
    """edx-django-utils' plugin machinery, as the LMS runs it, limited to learning_credentials' apps.

    The other plugin apps the tests install (learning-paths-plugin, completion-aggregator) bring
    settings and receivers that need platform modules and settings no fake provides.
    """
    from edx_django_utils.plugins import registry

    load = registry.get_plugin_app_configs

    def ours(project_type):
        return [app for app in load(project_type) if app.name.startswith("learning_credentials")]

    monkeypatch.setattr(registry, "get_plugin_app_configs", ours)


def connect_our_receivers(monkeypatch) -> None:
    """Our plugin's receivers connected by edx-django-utils, as the LMS connects them."""
    from edx_django_utils.plugins import connect_plugin_receivers

    only_our_plugins(monkeypatch)
    connect_plugin_receivers("lms.djangoapp")


def _install_module(monkeypatch, module: ModuleType) -> None:
    """Register ``module`` and any parent package not yet registered, each reachable from its parent."""
    parent_path, _, name = module.__name__.rpartition(".")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    if not parent_path:
        return
    parent = sys.modules.get(parent_path)
    if parent is None:
        parent = ModuleType(parent_path)
        parent.__path__ = []
        _install_module(monkeypatch, parent)
    monkeypatch.setattr(parent, name, module, raising=False)


def reset() -> None:
    """Forget everything the in-memory fakes hold, and the adapter's per-process completion plans."""
    openedx._PLANS.clear()
    grades.GRADES.clear()
    grades.PREFETCH_LOG.clear()
    modulestore.COURSES.clear()
    block_structure.STRUCTURES.clear()
    block_structure.READS.clear()
    roles.ASSIGNMENTS.clear()
    sites.reset()
