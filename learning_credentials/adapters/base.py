"""The host-adapter seam: everything learning_credentials reads from the host LMS.

Every read is in bulk (one call for all learners of a context), so a run over 10,000
learners costs a handful of queries, not one per learner. Grades and completion are
fractions from 0.0 to 1.0, as the Open edX grades API reports them.

Context keys arrive as opaque-key objects; dict results are keyed by the objects the caller
passed. A context the host does not know yields empty results (no learners, no names, no
steps), except ``get_grading_policy``, which raises ConfigurationError: criteria cannot be
judged without a policy, and ``get_sites``, which gives it the platform's own site.
``tests/contract/`` checks all of this for any implementation.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from opaque_keys.edx.keys import LearningContextKey

# ``modes`` of get_enrolled_user_ids for enrollments in any mode ("is the learner enrolled at all?").
ANY_MODE: tuple[str, ...] = ("*",)


@dataclass(frozen=True)
class Learner:
    """What the host knows about one learner."""

    user_id: int
    username: str
    full_name: str
    email: str
    language: str = "en"


@dataclass(frozen=True)
class GradingPolicy:
    """Assignment categories with their weights (summing to 1.0) and the pass mark."""

    weights: dict[str, float]
    passing_grade: float


@dataclass(frozen=True)
class LearnerGrades:
    """One learner's grades in one course."""

    # The host's weighted total, authoritative: it applies drop rules and rounding.
    percent: float
    # Every category of the grading policy; 0.0 where nothing is graded yet.
    by_category: dict[str, float] = field(default_factory=dict)
    # Every graded assessment of the course -> fraction earned, 0.0 for one the learner has not
    # taken, for criteria that look at each assessment (e.g. all at 100%).
    by_assessment: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Site:
    """How the site that offers a context presents its credentials: links, name, logo, email sender, dates.

    On a multi-site platform each context may have its own. None (or empty) where the site sets
    nothing: the app's global settings apply (``BASE_URL`` or ``LMS_ROOT_URL``, ``DEFAULT_FROM_EMAIL``,
    no logo, dates as "23 November 2026" in UTC).
    """

    # As learners know the platform; never empty (the host falls back to its own name). Signs the emails.
    platform_name: str
    # Root of public links (verification pages, QR codes, downloads), e.g. https://learn.example.org.
    base_url: str | None = None
    # Absolute URL of the logo shown in emails.
    logo_url: str | None = None
    # Sender of the emails, an address or "Name <address>".
    from_email: str | None = None
    # How printed dates read: strftime codes (%B, %b, %A and %a in the active language), e.g. "%B %-d, %Y".
    date_format: str | None = None
    # IANA time zone the issue date is taken in, e.g. "Europe/Paris".
    time_zone: str | None = None


@runtime_checkable
class HostAdapter(Protocol):
    """What a host LMS must provide. Implementations: adapters.openedx, the sandbox's."""

    def get_learners(self, user_ids: list[int]) -> dict[int, Learner]:
        """Learners by id; ids the host does not know are absent."""

    def get_enrolled_user_ids(
        self, context_key: LearningContextKey, user_ids: list[int] | None = None, modes: list[str] | None = None
    ) -> list[int]:
        """Ids of active users actively enrolled in a course or learning path, among ``user_ids`` if given, ascending.

        ``modes``: only course enrollments in these modes; None: the modes the host's own certificates
        require (Open edX: not audit); ANY_MODE: every mode. Learning-path enrollments have no mode.
        """

    def get_context_names(self, context_keys: list[LearningContextKey]) -> dict[LearningContextKey, str]:
        """Names of courses or learning paths as credentials print them; unknown keys are absent."""

    def get_organization_name(self, context_key: LearningContextKey) -> str:
        """Name of the issuing organisation for a context; the platform's name when it has none."""

    def get_sites(self, context_keys: list[LearningContextKey]) -> dict[LearningContextKey, Site]:
        """The site that offers each context, for every key (an unknown context: the platform's own).

        Its cost may grow with the distinct organisations of the keys, never with the number of keys.
        """

    def get_grading_policy(self, course_key: LearningContextKey) -> GradingPolicy:
        """The course's assignment categories, weights and pass mark; ConfigurationError for an unknown course."""

    def get_grades(self, course_key: LearningContextKey, user_ids: list[int]) -> dict[int, LearnerGrades]:
        """Grades of the given learners in a course; learners without grades are absent."""

    def get_completion(self, course_key: LearningContextKey, user_ids: list[int]) -> dict[int, float]:
        """Completion of the given learners in a course; learners without progress are absent."""

    def get_learner_completion(
        self, user_id: int, course_keys: list[LearningContextKey]
    ) -> dict[LearningContextKey, float]:
        """One learner's completion in many courses (a course list), in a fixed number of queries.

        Keyed by the keys passed; courses without progress, unknown ones and learning paths are absent.
        """

    def get_learner_courses(self, user_id: int) -> dict[LearningContextKey, str]:
        """The courses a learner is actively enrolled in, with their display names (their keys when they have none).

        For a learner's course list, in a fixed number of queries however many courses. Courses only:
        learning paths and inactive enrollments are absent; an unknown learner has none.
        """

    def get_learning_path_steps(self, path_key: LearningContextKey) -> list[LearningContextKey]:
        """Course keys of a learning path's steps, in order."""

    def is_course_staff(self, user, context_key: LearningContextKey) -> bool:
        """Whether ``user`` is on the course team of the context (not platform staff); False when anonymous."""


@runtime_checkable
class ProgressDating(Protocol):
    """What a host adapter may add so that renewal can require a fresh achievement (both built-in adapters do).

    Optional: an adapter without it works, and credentials whose configuration asks for a fresh
    achievement are then renewed only by staff or a passed certification exam.
    """

    def get_progress_times(self, course_key: LearningContextKey, user_ids: list[int]) -> dict[int, datetime]:
        """When each learner's progress in a course (a completion or a grade) last changed, timezone-aware.

        Learners without progress, unknown courses and learning paths are absent; a fixed number of queries.
        """


@dataclass(frozen=True)
class HostPages:
    """Where the host's own pages are, for the navigation of the learner pages."""

    # The learner's home on the host (Open edX: the learner dashboard); None: no such link.
    home_url: str | None
    # Where signing out happens; None: no sign-out link.
    logout_url: str | None
    # True when the host signs out only on a POST (Django 5's LogoutView); False for a link (Open edX's /logout).
    logout_post: bool = True


@runtime_checkable
class HostNavigation(Protocol):
    """What a host adapter may add so that the learner pages link back to the host (both built-in adapters do).

    Optional: without it the learner pages offer no link to the host's home, and sign out through
    Django's URL named ``logout`` when the host has one.
    """

    def get_host_pages(self) -> HostPages:
        """The host's learner home and sign-out URLs, absolute or site-relative; no query per call."""


@runtime_checkable
class ContextLookup(Protocol):
    """What a host adapter may add so that saving a configuration can tell whether its context exists (both
    built-in adapters do).

    Optional: without it, a context exists when ``get_context_names`` names it.
    """

    def context_exists(self, context_key: LearningContextKey) -> bool:
        """Whether the host has this course or learning path, even one not published or listed yet."""


def is_learning_path(context_key: LearningContextKey) -> bool:
    """Learning paths are the non-course contexts whose steps are courses."""
    return getattr(context_key, "CANONICAL_NAMESPACE", "") == "path-v1"
