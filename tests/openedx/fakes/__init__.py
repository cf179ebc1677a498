"""Fakes of the edx-platform and plugin modules the Open edX adapter imports, under their real dotted paths.

``install(monkeypatch)`` puts a module for each path of MODULES (and empty parent packages)
into ``sys.modules`` for one test. Each fake carries only what the adapter uses, with the
signatures recorded in ``tests/openedx/recorded_signatures.py``; ``test_recorded_signatures``
holds them to it. Models are backed by test-only tables (see ``models``), the rest by
in-memory dicts that ``reset()`` empties.
"""

import sys
from types import ModuleType

from . import course_modes, grades, models, modulestore, retirement, roles, sites

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
}
COMPLETION_MODULES: dict[str, dict[str, object]] = {
    "completion_aggregator.models": {"Aggregator": models.Aggregator},
}
LEARNING_PATHS_MODULES: dict[str, dict[str, object]] = {
    "learning_paths.models": {
        "LearningPath": models.LearningPath,
        "LearningPathStep": models.LearningPathStep,
        "LearningPathEnrollment": models.LearningPathEnrollment,
    },
}
MODULES = {**PLATFORM_MODULES, **COMPLETION_MODULES, **LEARNING_PATHS_MODULES}


def install(monkeypatch, *, completion: bool = True, learning_paths: bool = True) -> None:
    """Make the fakes importable; a plugin left out is not installed (importing it raises ImportError)."""
    modules = dict(PLATFORM_MODULES)
    for installed, plugin in ((completion, COMPLETION_MODULES), (learning_paths, LEARNING_PATHS_MODULES)):
        if installed:
            modules.update(plugin)
        else:
            for path in plugin:
                monkeypatch.setitem(sys.modules, path, None)
                monkeypatch.setitem(sys.modules, path.partition(".")[0], None)
    for path, attributes in modules.items():
        module = ModuleType(path)
        module.__dict__.update(attributes)
        _install_module(monkeypatch, module)


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
    """Forget everything the in-memory fakes hold."""
    grades.GRADES.clear()
    grades.PREFETCH_LOG.clear()
    modulestore.COURSES.clear()
    roles.ASSIGNMENTS.clear()
    sites.reset()
