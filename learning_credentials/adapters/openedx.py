"""The HostAdapter for Open edX: learning_credentials' view of edx-platform and its plugins.

edx-platform code is imported inside the methods, never at module level, so this module
imports (and the rest of the app runs) without the platform. The learning-paths plugin is
optional: without it learning paths are empty. So is the completion aggregator: without it (or
where its aggregates are stale) completion comes from edx-completion's BlockCompletion rows and
the course's block structure.

What only courses have (grades, completion, a course team) is empty for any other learning
context, as for an unknown course; asking for the grading policy of one raises ConfigurationError.
"""

import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles.storage import staticfiles_storage
from django.db.models import Exists, F, Max, OuterRef, Subquery
from opaque_keys.edx.keys import CourseKey, LearningContextKey, UsageKey

from .. import conf
from ..exceptions import ConfigurationError
from .base import ANY_MODE, GradingPolicy, HostPages, Learner, LearnerGrades, Site, is_learning_path

log = logging.getLogger(__name__)

# Aggregator.aggregation_name of the course root block: its percent is the course completion.
COURSE_AGGREGATION = "course"
# Containers whose children differ from learner to learner (randomized library content, A/B
# tests): what a learner completed inside one counts as one item, complete to its average.
PER_LEARNER_CONTAINERS = frozenset({"library_content", "itembank", "split_test"})


def _is_course(context_key: LearningContextKey) -> bool:
    # Modulestore libraries subclass CourseKey for historical reasons; is_course tells them apart.
    return isinstance(context_key, CourseKey) and context_key.is_course


def _category_grades(grader_result: dict, weights: dict[str, float]) -> dict[str, float]:
    """Each policy category's grade after drop rules, as the course grader computed it.

    The grader reports a category's grade as the ``prominent`` entry of ``section_breakdown``;
    a category whose policy sets ``hide_average`` has none, so its grade is recovered from the
    weighted contribution in ``grade_breakdown``. A weightless hidden category reads 0.0.
    """
    averages = {
        entry["category"]: float(entry["percent"])
        for entry in grader_result.get("section_breakdown", [])
        if entry.get("prominent")
    }
    contributions = grader_result.get("grade_breakdown", {})
    grades = {}
    for category, weight in weights.items():
        if category in averages:
            grades[category] = averages[category]
        elif weight and category in contributions:
            grades[category] = float(contributions[category]["percent"]) / weight
        else:
            grades[category] = 0.0
    return grades


def _assessment_grades(course_grade) -> dict[str, float]:
    """Fraction earned on each graded subsection of the course, 0.0 on one not attempted.

    The course grade covers the whole course structure, so skipped subsections are there too;
    the platform leaves out those worth no points.
    """
    return {
        str(location): subsection.graded_total.earned / subsection.graded_total.possible
        for subsections in course_grade.graded_subsections_by_format().values()
        for location, subsection in subsections.items()
    }


def _site_value(configuration, *names: str) -> str | None:
    """The first of ``names`` a site configuration sets (a disabled one sets nothing), or None."""
    if configuration is None:
        return None
    for name in names:
        value = configuration.get_value(name)
        if value:
            return str(value)
    return None


def _absolute_static_url(name: str, base_url: str) -> str | None:
    """A site's logo as the platform's branding resolves it: a static file's URL, made absolute on the site."""
    if urlparse(name).netloc:
        return name
    try:
        url = staticfiles_storage.url(name)
    except ValueError:  # a manifest storage that does not know the file
        log.warning("The site logo %s is not a known static file; emails go without it.", name)
        return None
    return url if urlparse(url).netloc else base_url.rstrip("/") + "/" + url.lstrip("/")


def _date_format() -> str | None:
    """CERTIFICATE_DATE_FORMAT, the platform's issued-date format; its named formats (LONG_DATE...) are not codes."""
    date_format = getattr(settings, "CERTIFICATE_DATE_FORMAT", None)
    return date_format if date_format and "%" in date_format else None


def _weights(course) -> dict[str, float]:
    """Category weights of a modulestore course block, read as the grades REST API reads them (``raw_grader``)."""
    return {grader["type"]: float(grader.get("weight", 0)) for grader in course.raw_grader}


@dataclass(frozen=True)
class CompletionPlan:
    """What counts toward a course's completion: read from its block structure once, then per learner."""

    # Completable blocks every learner of the course sees.
    blocks: frozenset[UsageKey]
    # The completable blocks inside each per-learner container.
    containers: tuple[frozenset[UsageKey], ...] = ()

    @property
    def block_types(self) -> set[str]:
        return {key.block_type for key in self.blocks.union(*self.containers)}

    def completion(self, completed: dict[UsageKey, float]) -> float:
        """Completed share of the plan's items, from a learner's BlockCompletion values by block."""
        earned = sum(completed.get(key, 0.0) for key in self.blocks)
        for container in self.containers:
            seen = [completed[key] for key in container if key in completed]
            earned += sum(seen) / len(seen) if seen else 0.0
        return earned / (len(self.blocks) + len(self.containers))


def _completion_plan_read(course_key: CourseKey) -> CompletionPlan | None:
    """The completable blocks of the course's collected block structure (the platform caches it per publish).

    As the platform's completion does: blocks are completable unless their completion mode says
    "aggregator" (containers: walk their children) or "excluded"; staff-only content and blocks
    marked optional (completion_aggregator's ``optional_completion``) count for nobody. Content
    restricted to some learners by group (cohorts, enrollment tracks) counts for everyone: the
    per-learner structure is what the completion aggregator computes, and its fresh aggregates win.
    None for a course the platform does not know or with nothing to complete.
    """
    from lms.djangoapps.course_blocks.transformers.visibility import VisibilityTransformer
    from openedx.core.djangoapps.content.block_structure.api import get_course_in_cache
    from xblock.completable import XBlockCompletionMode
    from xmodule.modulestore.django import modulestore

    if modulestore().get_course(course_key, depth=0) is None:
        return None
    structure = get_course_in_cache(course_key)
    shared: set[UsageKey] = set()
    containers: list[frozenset[UsageKey]] = []

    def walk(key: UsageKey, into: set[UsageKey]) -> None:
        staff_only = structure.get_transformer_block_field(
            key, VisibilityTransformer, VisibilityTransformer.MERGED_VISIBLE_TO_STAFF_ONLY, False
        )
        mode = structure.get_xblock_field(key, "completion_mode") or XBlockCompletionMode.COMPLETABLE
        if staff_only or mode == XBlockCompletionMode.EXCLUDED:
            return
        if mode != XBlockCompletionMode.AGGREGATOR:
            if not structure.get_xblock_field(key, "optional_completion", False):
                into.add(key)
            return
        if into is shared and key.block_type in PER_LEARNER_CONTAINERS:
            inside: set[UsageKey] = set()
            for child in structure.get_children(key):
                walk(child, inside)
            if inside:
                containers.append(frozenset(inside))
            return
        for child in structure.get_children(key):
            walk(child, into)

    walk(structure.root_block_usage_key, shared)
    if not shared and not containers:
        return None
    return CompletionPlan(blocks=frozenset(shared), containers=tuple(containers))


# str(course key) -> (monotonic expiry, plan): a chunked run reads each course's structure once.
_PLANS: dict[str, tuple[float, CompletionPlan | None]] = {}


def _completion_plan(course_key: CourseKey) -> CompletionPlan | None:
    """The course's plan, kept per process for COMPLETION_STRUCTURE_SECONDS (a publish shows up after it)."""
    now = time.monotonic()
    cached = _PLANS.get(str(course_key))
    if cached is not None and cached[0] > now:
        return cached[1]
    plan = _completion_plan_read(course_key)
    _PLANS[str(course_key)] = (now + conf.get("COMPLETION_STRUCTURE_SECONDS"), plan)
    return plan


def _completion_from_blocks(rows: Iterable[tuple], plans: dict[str, CompletionPlan]) -> dict[tuple, float]:
    """(owner, course key string) -> completion, from BlockCompletion rows (owner, course key, block key, value)."""
    completed: dict[tuple, dict[UsageKey, float]] = defaultdict(dict)
    for owner, course_key, block_key, value in rows:
        completed[(owner, str(course_key))][block_key] = value
    return {(owner, course): plans[course].completion(values) for (owner, course), values in completed.items()}


def _fresh_course_aggregates():
    """completion_aggregator's course aggregates whose learner has no pending recomputation, or None without it.

    In its asynchronous mode a new completion only records a StaleCompletion; a cron job
    recomputes the aggregates later. Until then the stored percent is out of date: not used.
    """
    try:
        from completion_aggregator.models import Aggregator, StaleCompletion
    except ImportError:
        return None
    pending = StaleCompletion.objects.filter(
        course_key=OuterRef("course_key"), username=OuterRef("user__username"), resolved=False
    )
    return Aggregator.objects.filter(aggregation_name=COURSE_AGGREGATION).exclude(Exists(pending))


class OpenEdxAdapter:
    """Implements learning_credentials.adapters.base.HostAdapter on edx-platform (LMS)."""

    def get_learners(self, user_ids: list[int]) -> dict[int, Learner]:
        """One query: the profile name and language preference come in as correlated subqueries."""
        if not user_ids:
            return {}
        from common.djangoapps.student.models import UserProfile
        from openedx.core.djangoapps.lang_pref import LANGUAGE_KEY
        from openedx.core.djangoapps.user_api.models import UserPreference

        users = (
            get_user_model()
            .objects.filter(id__in=user_ids)
            .annotate(
                profile_name=Subquery(UserProfile.objects.filter(user_id=OuterRef("pk")).values("name")[:1]),
                language=Subquery(
                    UserPreference.objects.filter(user_id=OuterRef("pk"), key=LANGUAGE_KEY).values("value")[:1]
                ),
            )
        )
        return {
            user.id: Learner(
                user_id=user.id,
                username=user.username,
                full_name=user.profile_name or user.get_full_name() or user.username,
                email=user.email,
                language=user.language or settings.LANGUAGE_CODE,
            )
            for user in users
        }

    def get_enrolled_user_ids(
        self, context_key: LearningContextKey, user_ids: list[int] | None = None, modes: list[str] | None = None
    ) -> list[int]:
        """Modes by default: those the platform's CourseMode.is_eligible_for_certificate accepts (not audit).

        One query: the modes come with the rows, and the platform judges each distinct mode once.
        """
        if _is_course(context_key):
            from common.djangoapps.student.models import CourseEnrollment

            enrollments = CourseEnrollment.objects.filter(course_id=context_key, is_active=True)
        elif is_learning_path(context_key):
            try:
                from learning_paths.models import LearningPathEnrollment
            except ImportError:
                return []
            enrollments = LearningPathEnrollment.objects.filter(learning_path__key=context_key, is_active=True)
            modes = ANY_MODE  # a path's enrollments have no mode
        else:
            return []
        if user_ids is not None:
            enrollments = enrollments.filter(user_id__in=user_ids)
        enrollments = enrollments.filter(user__is_active=True).order_by("user_id")
        if modes == ANY_MODE:
            return list(enrollments.values_list("user_id", flat=True))
        rows = list(enrollments.values_list("user_id", "mode"))
        if modes is None:
            from common.djangoapps.course_modes.models import CourseMode

            modes = [mode for mode in {mode for _, mode in rows} if CourseMode.is_eligible_for_certificate(mode)]
        counted = set(modes)
        return [user_id for user_id, mode in rows if mode in counted]

    def get_context_names(self, context_keys: list[LearningContextKey]) -> dict[LearningContextKey, str]:
        """A course's certificate name (``cert_name_long``, the long name its certificates print) when set, else its
        display name; a path's display name."""
        by_string = {str(key): key for key in context_keys}
        names: dict[str, str] = {}
        course_keys = [key for key in context_keys if _is_course(key)]
        if course_keys:
            from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

            rows = CourseOverview.objects.filter(id__in=course_keys).values_list("id", "cert_name_long", "display_name")
            names.update((str(key), certificate_name or name or str(key)) for key, certificate_name, name in rows)
        path_keys = [key for key in context_keys if is_learning_path(key)]
        if path_keys:
            try:
                from learning_paths.models import LearningPath
            except ImportError:
                pass
            else:
                rows = LearningPath.objects.filter(key__in=path_keys).values_list("key", "display_name")
                names.update((str(key), name) for key, name in rows)
        return {by_string[key]: name for key, name in names.items()}

    def context_exists(self, context_key: LearningContextKey) -> bool:
        """A course with a course overview, or one the modulestore holds (its overview is made when it is first
        published); a learning path of the learning-paths plugin."""
        if _is_course(context_key):
            from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

            return CourseOverview.objects.filter(id=context_key).exists() or self._course_block(context_key) is not None
        if is_learning_path(context_key):
            try:
                from learning_paths.models import LearningPath
            except ImportError:
                return False
            return LearningPath.objects.filter(key=context_key).exists()
        return False

    def get_sites(self, context_keys: list[LearningContextKey]) -> dict[LearningContextKey, Site]:
        """The site configuration whose ``course_org_filter`` names the context's organisation, as the platform
        finds a course's site (site_configuration's get_value_for_org); one look-up per distinct organisation.

        Its keys: ``LMS_ROOT_URL``, ``platform_name`` (or ``PLATFORM_NAME``), ``email_from_address`` and
        ``logo_image_url`` (a static file, as the branding API reads it). Without them, the name is
        PLATFORM_NAME and the logo the platform's email logo; dates follow CERTIFICATE_DATE_FORMAT and
        TIME_ZONE, as the platform's certificates do.
        """
        from openedx.core.djangoapps.site_configuration.models import SiteConfiguration

        orgs = sorted({getattr(key, "org", "") for key in context_keys})
        sites = {org: self._site(SiteConfiguration.get_configuration_for_org(org) if org else None) for org in orgs}
        return {key: sites[getattr(key, "org", "")] for key in context_keys}

    def get_host_pages(self) -> HostPages:
        """The learner dashboard (the learner-home MFE when LEARNER_HOME_MICROFRONTEND_URL is set) and /logout.

        The platform's /logout signs out on a GET (its header links it); a POST would sign out and answer 405.
        """
        root = settings.LMS_ROOT_URL.rstrip("/")
        home = getattr(settings, "LEARNER_HOME_MICROFRONTEND_URL", None) or f"{root}/dashboard"
        return HostPages(home_url=home, logout_url=f"{root}/logout", logout_post=False)

    @staticmethod
    def _site(configuration) -> Site:
        base_url = _site_value(configuration, "LMS_ROOT_URL")
        logo = _site_value(configuration, "logo_image_url")
        if logo:
            logo_url = _absolute_static_url(logo, base_url or settings.LMS_ROOT_URL)
        else:
            from lms.djangoapps.branding.api import get_logo_url_for_email

            logo_url = get_logo_url_for_email() or None
        return Site(
            platform_name=_site_value(configuration, "platform_name", "PLATFORM_NAME") or settings.PLATFORM_NAME,
            base_url=base_url,
            logo_url=logo_url,
            from_email=_site_value(configuration, "email_from_address"),
            date_format=_date_format(),
            time_zone=settings.TIME_ZONE,
        )

    def get_organization_name(self, context_key: LearningContextKey) -> str:
        """The course's display organisation (its org code unless the course sets one); a path's org code."""
        if _is_course(context_key):
            from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

            organization = (
                CourseOverview.objects.filter(id=context_key).values_list("display_org_with_default", flat=True).first()
            )
            return organization or settings.PLATFORM_NAME
        if is_learning_path(context_key):
            try:
                from learning_paths.models import LearningPath
            except ImportError:
                return settings.PLATFORM_NAME
            if LearningPath.objects.filter(key=context_key).exists():
                return getattr(context_key, "org", "") or settings.PLATFORM_NAME
        return settings.PLATFORM_NAME

    def get_grading_policy(self, course_key: LearningContextKey) -> GradingPolicy:
        course = self._course_block(course_key)
        if course is None:
            raise ConfigurationError(f"Open edX has no course {course_key}.")
        return GradingPolicy(weights=_weights(course), passing_grade=float(course.lowest_passing_grade))

    def get_grades(self, course_key: LearningContextKey, user_ids: list[int]) -> dict[int, LearnerGrades]:
        """Through CourseGradeFactory.iter with persisted grades prefetched for all learners at once.

        Learners without a persisted grade (the platform's ZeroCourseGrade, ``attempted`` False)
        and learners the platform fails to grade (it logs why) are absent.
        """
        course = self._course_block(course_key)
        users = list(get_user_model().objects.filter(id__in=user_ids)) if course is not None else []
        if not users:
            return {}
        from lms.djangoapps.grades.api import (
            CourseGradeFactory,
            clear_prefetched_course_grades,
            prefetch_course_and_subsection_grades,
        )

        weights = _weights(course)
        grades = {}
        prefetch_course_and_subsection_grades(course_key, users)
        try:
            for user, course_grade, error in CourseGradeFactory().iter(users, course=course, course_key=course_key):
                if error is not None or not course_grade.attempted:
                    continue
                grades[user.id] = LearnerGrades(
                    percent=float(course_grade.percent),
                    by_category=_category_grades(course_grade.grader_result(), weights),
                    by_assessment=_assessment_grades(course_grade),
                )
        finally:
            # Despite its name this clears the subsection grades too (lms/djangoapps/grades/models_api.py).
            clear_prefetched_course_grades(course_key)
        return grades

    def get_completion(self, course_key: LearningContextKey, user_ids: list[int]) -> dict[int, float]:
        """The aggregator's fresh course aggregates; for everyone else, BlockCompletion rows against the structure.

        Two queries per call whatever the number of learners; the structure is read once per
        course and process (see _completion_plan).
        """
        if not user_ids or not _is_course(course_key):
            return {}
        completion: dict[int, float] = {}
        aggregates = _fresh_course_aggregates()
        if aggregates is not None:
            rows = aggregates.filter(course_key=course_key, user_id__in=user_ids).values_list("user_id", "percent")
            completion.update((user_id, float(percent)) for user_id, percent in rows)
        others = [user_id for user_id in user_ids if user_id not in completion]
        plan = _completion_plan(course_key) if others else None
        if plan is not None:
            from completion.models import BlockCompletion

            rows = BlockCompletion.objects.filter(
                context_key=course_key, user_id__in=others, block_type__in=plan.block_types
            ).values_list("user_id", "context_key", "block_key", "completion")
            by_learner = _completion_from_blocks(rows, {str(course_key): plan})
            completion.update((user_id, value) for (user_id, _), value in by_learner.items())
        return completion

    def get_progress_times(self, course_key: LearningContextKey, user_ids: list[int]) -> dict[int, datetime]:
        """The latest BlockCompletion change of each learner in the course (edx-completion): one query.

        Answering a problem marks it complete, so a new grade dates the progress too; persisted grades
        are not read (a regrade by staff is not the learner's achievement).
        """
        if not user_ids or not _is_course(course_key):
            return {}
        from completion.models import BlockCompletion

        rows = BlockCompletion.objects.filter(context_key=course_key, user_id__in=user_ids, completion__gt=0)
        return dict(rows.values("user_id").annotate(latest=Max("modified")).values_list("user_id", "latest"))

    def get_learner_completion(
        self, user_id: int, course_keys: list[LearningContextKey]
    ) -> dict[LearningContextKey, float]:
        """As get_completion, for one learner across courses: two queries, plus each course's structure once."""
        by_string = {str(key): key for key in course_keys if _is_course(key)}
        completion: dict[str, float] = {}
        aggregates = _fresh_course_aggregates()
        if aggregates is not None and by_string:
            rows = aggregates.filter(user_id=user_id, course_key__in=list(by_string.values()))
            completion.update((str(key), float(percent)) for key, percent in rows.values_list("course_key", "percent"))
        others = [key for string, key in by_string.items() if string not in completion]
        plans = {str(key): plan for key in others if (plan := _completion_plan(key)) is not None}
        if plans:
            from completion.models import BlockCompletion

            rows = BlockCompletion.objects.filter(
                user_id=user_id,
                context_key__in=[by_string[course] for course in plans],
                block_type__in=set().union(*(plan.block_types for plan in plans.values())),
            ).values_list("user_id", "context_key", "block_key", "completion")
            by_course = _completion_from_blocks(rows, plans)
            completion.update((course, value) for (_, course), value in by_course.items())
        return {by_string[course]: value for course, value in completion.items()}

    def get_learner_courses(self, user_id: int) -> dict[LearningContextKey, str]:
        """Active CourseEnrollment rows with their CourseOverview's display name: one query.

        The name comes as a subquery, not a join: an enrollment whose overview is missing (the
        foreign key has no database constraint) is still listed, under its key.
        """
        from common.djangoapps.student.models import CourseEnrollment
        from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

        display_name = CourseOverview.objects.filter(id=OuterRef("course_id")).values("display_name")[:1]
        rows = CourseEnrollment.objects.filter(user_id=user_id, is_active=True).annotate(name=Subquery(display_name))
        return {key: name or str(key) for key, name in rows.values_list("course_id", "name") if _is_course(key)}

    def get_learning_path_steps(self, path_key: LearningContextKey) -> list[LearningContextKey]:
        """Steps by ``order``; steps of a non-sequential path have none and come last, by creation."""
        if not is_learning_path(path_key):
            return []
        try:
            from learning_paths.models import LearningPathStep
        except ImportError:
            return []
        steps = LearningPathStep.objects.filter(learning_path__key=path_key).order_by(
            F("order").asc(nulls_last=True), "pk"
        )
        return list(steps.values_list("course_key", flat=True))

    def is_course_staff(self, user, context_key: LearningContextKey) -> bool:
        """Course or org staff/instructor, as courseware.access grants "staff" minus global staff.

        Learning paths have no team of their own (the plugin only knows global staff), so False.
        """
        if user is None or not user.is_authenticated or not _is_course(context_key):
            return False
        from common.djangoapps.student.roles import (
            CourseInstructorRole,
            CourseStaffRole,
            OrgInstructorRole,
            OrgStaffRole,
        )

        roles = (
            CourseStaffRole(context_key),
            CourseInstructorRole(context_key),
            OrgStaffRole(context_key.org),
            OrgInstructorRole(context_key.org),
        )
        return any(role.has_user(user) for role in roles)

    @staticmethod
    def _course_block(course_key: LearningContextKey):
        """The course block without children (depth=0), or None for an unknown course."""
        if not _is_course(course_key):
            return None
        from xmodule.modulestore.django import modulestore

        return modulestore().get_course(course_key, depth=0)
