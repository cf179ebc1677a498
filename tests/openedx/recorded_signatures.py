"""The edx-platform and plugin APIs the Open edX adapter relies on, as their source defines them.

Recorded by reading the source through the team's code index, which stores commits rather
than release branches: no named release (teak, ulmo) could be pinned. RELEASE therefore names
the snapshot: master of openedx/openedx-platform (edx-platform's new name) as stored, with a few
files the index keeps only under openedx/edx-platform because they did not change since.
Where an older stored version was also read (CourseGradeFactory.iter, the grades models_api,
UserPreference's fields) it had the same signature.

``test_recorded_signatures`` compares the fakes in ``fakes/`` with these records.
"""

from dataclasses import dataclass

RELEASE = "openedx-platform master (2026 snapshot of the code index); plugins at the commits recorded per file"


@dataclass(frozen=True)
class Source:
    repo: str
    path: str
    commit: str


@dataclass(frozen=True)
class Signature:
    """A callable: ``module`` is where the adapter imports it from; ``qualname`` may be Class.method."""

    module: str
    qualname: str
    signature: str
    source: Source


@dataclass(frozen=True)
class Field:
    """A model field the adapter queries; ``related_model`` is the label of a relation's target."""

    module: str
    model: str
    name: str
    field_class: str
    related_model: str | None
    definition: str
    source: Source


@dataclass(frozen=True)
class Attributes:
    """Attributes (properties, instance attributes, namedtuple fields) the adapter reads."""

    module: str
    qualname: str
    names: tuple[str, ...]
    source: Source


@dataclass(frozen=True)
class Constant:
    module: str
    name: str
    value: object
    source: Source


PLATFORM = "openedx/openedx-platform"
SNAPSHOT = "e57a655d77b614f19223984e9805b1fb940ab192"

GRADES_API = Source(PLATFORM, "lms/djangoapps/grades/api.py", SNAPSHOT)
GRADES_MODELS_API = Source(PLATFORM, "lms/djangoapps/grades/models_api.py", SNAPSHOT)
COURSE_GRADE_FACTORY = Source(PLATFORM, "lms/djangoapps/grades/course_grade_factory.py", SNAPSHOT)
COURSE_GRADE = Source(
    "openedx/edx-platform", "lms/djangoapps/grades/course_grade.py", "5acde7c01b705b1a05150782a5d0df5128132c7e"
)
SUBSECTION_GRADE = Source(
    PLATFORM, "lms/djangoapps/grades/subsection_grade.py", "3b7eee77d13ce639d136eaa68b74d9b51e1a8a1a"
)
GRADERS = Source(PLATFORM, "xmodule/graders.py", SNAPSHOT)
COURSE_BLOCK = Source(PLATFORM, "xmodule/course_block.py", "32170ee8cbf60d564d624d9712d8640aee2a5ab7")
MODULESTORE = Source(PLATFORM, "xmodule/modulestore/django.py", "5af5f01fa9480258a5001852cd7498fe3e4cd2fb")
MIXED_MODULESTORE = Source(PLATFORM, "xmodule/modulestore/mixed.py", SNAPSHOT)
ROLES = Source(PLATFORM, "common/djangoapps/student/roles.py", "c6607476c5fd8e206a850203fd97512edaffa7c1")
STUDENT_USER = Source(PLATFORM, "common/djangoapps/student/models/user.py", "0b870c132a5e8e2e1f1c4b3b2b20e329738d3a49")
STUDENT_ENROLLMENT = Source(
    PLATFORM, "common/djangoapps/student/models/course_enrollment.py", "0b870c132a5e8e2e1f1c4b3b2b20e329738d3a49"
)
USER_API = Source(PLATFORM, "openedx/core/djangoapps/user_api/models.py", SNAPSHOT)
COURSE_MODES = Source(PLATFORM, "common/djangoapps/course_modes/models.py", "6913dfd7cbf742e40041ce14b76df5072ba6e335")
LANG_PREF = Source(
    "openedx/edx-platform",
    "openedx/core/djangoapps/lang_pref/__init__.py",
    "19d1d403c0ba0a7dad60062aaad4ced893a0fad9",
)
COURSE_OVERVIEW = Source(
    PLATFORM,
    "openedx/core/djangoapps/content/course_overviews/models.py",
    "22eb254bbc0a8d51b5c02079b4140df14d78242b",
)
SITE_CONFIGURATION = Source(PLATFORM, "openedx/core/djangoapps/site_configuration/models.py", SNAPSHOT)
BRANDING_API = Source(PLATFORM, "lms/djangoapps/branding/api.py", "924ba6ff274c6ae91ec8b1c266e2fe36c52a26f8")
AGGREGATOR = Source(
    "open-craft/openedx-completion-aggregator",
    "completion_aggregator/models.py",
    "1f23fa779400e52f7a7a787c4b3c7b8f2a70f804",
)
STALE_COMPLETION = AGGREGATOR  # the same models.py
BLOCK_STRUCTURE = Source(PLATFORM, "openedx/core/djangoapps/content/block_structure/block_structure.py", SNAPSHOT)
# Not stored under openedx-platform's name; unchanged since (get_course_in_cache(course_key) on master too).
BLOCK_STRUCTURE_API = Source(
    "openedx/edx-platform",
    "openedx/core/djangoapps/content/block_structure/api.py",
    "5281a38a9aca23a4e5c309ddb8c4ad5ff8cfc734",
)
VISIBILITY = Source(PLATFORM, "lms/djangoapps/course_blocks/transformers/visibility.py", SNAPSHOT)
# Installed from the package index in the tests (edx-completion 5.0.0; Teak pins 4.7.11, XBlock 5.2.0).
BLOCK_COMPLETION = Source("openedx/edx-completion", "completion/models.py", "release 5.0.0")
XBLOCK_COMPLETABLE = Source("openedx/XBlock", "xblock/completable.py", "release 6.1.0")
LEARNING_PATHS = Source(
    "open-craft/learning-paths-plugin", "learning_paths/models.py", "f189025e520b6ae9135a7324b0b205ffacffcb7e"
)

SIGNATURES = (
    Signature(
        "common.djangoapps.course_modes.models",
        "CourseMode.is_eligible_for_certificate",
        "(mode_slug, status=None)",
        COURSE_MODES,
    ),
    Signature(
        "lms.djangoapps.grades.api",
        "CourseGradeFactory.iter",
        "(self, users, course=None, collected_block_structure=None, course_key=None, force_update=False)",
        COURSE_GRADE_FACTORY,
    ),
    Signature(
        "lms.djangoapps.grades.api", "prefetch_course_and_subsection_grades", "(course_key, users)", GRADES_MODELS_API
    ),
    Signature("lms.djangoapps.grades.api", "clear_prefetched_course_grades", "(course_key)", GRADES_MODELS_API),
    Signature(
        "lms.djangoapps.grades.course_grade",
        "CourseGrade.grader_result",
        "(self, visible_grades_only=False, has_staff_access=False)",
        COURSE_GRADE,
    ),
    Signature(
        "lms.djangoapps.grades.course_grade",
        "CourseGrade.graded_subsections_by_format",
        "(self, visible_grades_only=False, has_staff_access=False)",
        COURSE_GRADE,
    ),
    Signature("xmodule.modulestore.django", "modulestore", "()", MODULESTORE),
    Signature(
        "xmodule.modulestore.mixed",
        "MixedModuleStore.get_course",
        "(self, course_key, depth=0, **kwargs)",
        MIXED_MODULESTORE,
    ),
    Signature("common.djangoapps.student.roles", "CourseStaffRole", "(*args, **kwargs)", ROLES),
    Signature("common.djangoapps.student.roles", "CourseInstructorRole", "(*args, **kwargs)", ROLES),
    Signature("common.djangoapps.student.roles", "OrgStaffRole", "(*args, **kwargs)", ROLES),
    Signature("common.djangoapps.student.roles", "OrgInstructorRole", "(*args, **kwargs)", ROLES),
    Signature(
        "common.djangoapps.student.roles", "CourseStaffRole.has_user", "(self, user, check_user_activation=True)", ROLES
    ),
    Signature(
        "openedx.core.djangoapps.content.block_structure.api",
        "get_course_in_cache",
        "(course_key)",
        BLOCK_STRUCTURE_API,
    ),
    Signature(
        "openedx.core.djangoapps.content.block_structure.block_structure",
        "BlockStructureBlockData.get_children",
        "(self, usage_key)",
        BLOCK_STRUCTURE,
    ),
    Signature(
        "openedx.core.djangoapps.content.block_structure.block_structure",
        "BlockStructureBlockData.get_xblock_field",
        "(self, usage_key, field_name, default=None)",
        BLOCK_STRUCTURE,
    ),
    Signature(
        "openedx.core.djangoapps.content.block_structure.block_structure",
        "BlockStructureBlockData.get_transformer_block_field",
        "(self, usage_key, transformer, key, default=None)",
        BLOCK_STRUCTURE,
    ),
    Signature("lms.djangoapps.course_blocks.transformers.visibility", "VisibilityTransformer.name", "()", VISIBILITY),
    # What site_configuration.helpers.get_value_for_org calls, once for all the values the adapter reads.
    Signature(
        "openedx.core.djangoapps.site_configuration.models",
        "SiteConfiguration.get_configuration_for_org",
        "(org, select_related=None)",
        SITE_CONFIGURATION,
    ),
    Signature(
        "openedx.core.djangoapps.site_configuration.models",
        "SiteConfiguration.get_value",
        "(self, name, default=None)",
        SITE_CONFIGURATION,
    ),
    Signature("lms.djangoapps.branding.api", "get_logo_url_for_email", "()", BRANDING_API),
)

ATTRIBUTES = (
    Attributes(
        "lms.djangoapps.grades.api",
        "CourseGradeFactory.GradeResult",
        ("student", "course_grade", "error"),
        COURSE_GRADE_FACTORY,
    ),
    Attributes("lms.djangoapps.grades.course_grade", "CourseGrade", ("percent", "attempted"), COURSE_GRADE),
    Attributes("lms.djangoapps.grades.course_grade", "ZeroCourseGrade", ("percent", "attempted"), COURSE_GRADE),
    Attributes(
        "lms.djangoapps.grades.subsection_grade", "ReadSubsectionGrade", ("location", "graded_total"), SUBSECTION_GRADE
    ),
    Attributes("xmodule.graders", "AggregatedScore", ("earned", "possible"), GRADERS),
    Attributes("xmodule.course_block", "CourseBlock", ("raw_grader", "lowest_passing_grade"), COURSE_BLOCK),
    Attributes(
        "openedx.core.djangoapps.content.block_structure.block_structure",
        "BlockStructureBlockData",
        ("root_block_usage_key",),
        BLOCK_STRUCTURE,
    ),
    Attributes(
        "lms.djangoapps.course_blocks.transformers.visibility",
        "VisibilityTransformer",
        ("MERGED_VISIBLE_TO_STAFF_ONLY",),
        VISIBILITY,
    ),
    Attributes(
        "xblock.completable", "XBlockCompletionMode", ("COMPLETABLE", "AGGREGATOR", "EXCLUDED"), XBLOCK_COMPLETABLE
    ),
)

CONSTANTS = (Constant("openedx.core.djangoapps.lang_pref", "LANGUAGE_KEY", "pref-lang", LANG_PREF),)

FIELDS = (
    Field(
        "common.djangoapps.student.models",
        "UserProfile",
        "user",
        "OneToOneField",
        "auth.User",
        "models.OneToOneField(User, unique=True, db_index=True, related_name='profile', on_delete=models.CASCADE)",
        STUDENT_USER,
    ),
    Field(
        "common.djangoapps.student.models",
        "UserProfile",
        "name",
        "CharField",
        None,
        "models.CharField(blank=True, max_length=255, db_index=True)",
        STUDENT_USER,
    ),
    Field(
        "common.djangoapps.student.models",
        "CourseEnrollment",
        "user",
        "ForeignKey",
        "auth.User",
        "models.ForeignKey(User, on_delete=models.CASCADE)",
        STUDENT_ENROLLMENT,
    ),
    Field(
        "common.djangoapps.student.models",
        "CourseEnrollment",
        "course",
        "ForeignKey",
        "course_overviews.CourseOverview",
        "models.ForeignKey(CourseOverview, db_constraint=False, on_delete=models.DO_NOTHING)",
        STUDENT_ENROLLMENT,
    ),
    Field(
        "common.djangoapps.student.models",
        "CourseEnrollment",
        "is_active",
        "BooleanField",
        None,
        "models.BooleanField(default=True)",
        STUDENT_ENROLLMENT,
    ),
    Field(
        "common.djangoapps.student.models",
        "CourseEnrollment",
        "mode",
        "CharField",
        None,
        "models.CharField(default=CourseMode.get_default_mode_slug, max_length=100)",
        STUDENT_ENROLLMENT,
    ),
    Field(
        "openedx.core.djangoapps.user_api.models",
        "UserPreference",
        "user",
        "ForeignKey",
        "auth.User",
        'models.ForeignKey(User, db_index=True, related_name="preferences", on_delete=models.CASCADE)',
        USER_API,
    ),
    Field(
        "openedx.core.djangoapps.user_api.models",
        "UserPreference",
        "key",
        "CharField",
        None,
        "models.CharField(max_length=255, db_index=True, validators=[RegexValidator(KEY_REGEX)])",
        USER_API,
    ),
    Field(
        "openedx.core.djangoapps.user_api.models",
        "UserPreference",
        "value",
        "TextField",
        None,
        "models.TextField()",
        USER_API,
    ),
    Field(
        "openedx.core.djangoapps.content.course_overviews.models",
        "CourseOverview",
        "id",
        "CourseKeyField",
        None,
        "CourseKeyField(db_index=True, primary_key=True, max_length=255)",
        COURSE_OVERVIEW,
    ),
    Field(
        "openedx.core.djangoapps.content.course_overviews.models",
        "CourseOverview",
        "display_name",
        "TextField",
        None,
        "models.TextField(null=True)",
        COURSE_OVERVIEW,
    ),
    Field(
        "openedx.core.djangoapps.content.course_overviews.models",
        "CourseOverview",
        "display_org_with_default",
        "TextField",
        None,
        "models.TextField()",
        COURSE_OVERVIEW,
    ),
    Field(
        "openedx.core.djangoapps.content.course_overviews.models",
        "CourseOverview",
        "cert_name_long",
        "TextField",
        None,
        "models.TextField()",
        COURSE_OVERVIEW,
    ),
    Field(
        "completion_aggregator.models",
        "Aggregator",
        "user",
        "ForeignKey",
        "auth.User",
        "models.ForeignKey(User, on_delete=models.CASCADE)",
        AGGREGATOR,
    ),
    Field(
        "completion_aggregator.models",
        "Aggregator",
        "course_key",
        "CourseKeyField",
        None,
        "CourseKeyField(max_length=255)",
        AGGREGATOR,
    ),
    Field(
        "completion_aggregator.models",
        "Aggregator",
        "aggregation_name",
        "CharField",
        None,
        "models.CharField(max_length=255)",
        AGGREGATOR,
    ),
    Field(
        "completion_aggregator.models",
        "Aggregator",
        "percent",
        "FloatField",
        None,
        "models.FloatField(validators=[validate_percent])",
        AGGREGATOR,
    ),
    Field(
        "completion_aggregator.models",
        "StaleCompletion",
        "username",
        "CharField",
        None,
        "models.CharField(max_length=255)",
        STALE_COMPLETION,
    ),
    Field(
        "completion_aggregator.models",
        "StaleCompletion",
        "course_key",
        "CourseKeyField",
        None,
        "CourseKeyField(max_length=255)",
        STALE_COMPLETION,
    ),
    Field(
        "completion_aggregator.models",
        "StaleCompletion",
        "resolved",
        "BooleanField",
        None,
        "models.BooleanField(default=False)",
        STALE_COMPLETION,
    ),
    Field(
        "completion.models",
        "BlockCompletion",
        "user",
        "ForeignKey",
        "auth.User",
        "models.ForeignKey(User, on_delete=models.CASCADE)",
        BLOCK_COMPLETION,
    ),
    Field(
        "completion.models",
        "BlockCompletion",
        "context_key",
        "LearningContextKeyField",
        None,
        'LearningContextKeyField(max_length=255, db_column="course_key")',
        BLOCK_COMPLETION,
    ),
    Field(
        "completion.models",
        "BlockCompletion",
        "block_key",
        "UsageKeyField",
        None,
        "UsageKeyField(max_length=255)",
        BLOCK_COMPLETION,
    ),
    Field(
        "completion.models",
        "BlockCompletion",
        "block_type",
        "CharField",
        None,
        "models.CharField(max_length=64)",
        BLOCK_COMPLETION,
    ),
    Field(
        "completion.models",
        "BlockCompletion",
        "completion",
        "FloatField",
        None,
        "models.FloatField(validators=[validate_percent])",
        BLOCK_COMPLETION,
    ),
    Field(
        "learning_paths.models",
        "LearningPath",
        "key",
        "LearningPathKeyField",
        None,
        "LearningPathKeyField(max_length=255, unique=True, db_index=True, help_text=...)",
        LEARNING_PATHS,
    ),
    Field(
        "learning_paths.models",
        "LearningPath",
        "display_name",
        "CharField",
        None,
        "models.CharField(max_length=255)",
        LEARNING_PATHS,
    ),
    Field(
        "learning_paths.models",
        "LearningPathStep",
        "course_key",
        "CourseKeyField",
        None,
        "CourseKeyField(max_length=255)",
        LEARNING_PATHS,
    ),
    Field(
        "learning_paths.models",
        "LearningPathStep",
        "learning_path",
        "ForeignKey",
        "learning_paths.LearningPath",
        'models.ForeignKey(LearningPath, related_name="steps", on_delete=models.CASCADE)',
        LEARNING_PATHS,
    ),
    Field(
        "learning_paths.models",
        "LearningPathStep",
        "order",
        "PositiveIntegerField",
        None,
        'models.PositiveIntegerField(blank=True, null=True, verbose_name=_("Sequential order"), help_text=...)',
        LEARNING_PATHS,
    ),
    Field(
        "learning_paths.models",
        "LearningPathEnrollment",
        "user",
        "ForeignKey",
        "auth.User",
        "models.ForeignKey(User, on_delete=models.CASCADE)",
        LEARNING_PATHS,
    ),
    Field(
        "learning_paths.models",
        "LearningPathEnrollment",
        "learning_path",
        "ForeignKey",
        "learning_paths.LearningPath",
        "models.ForeignKey(LearningPath, on_delete=models.CASCADE)",
        LEARNING_PATHS,
    ),
    Field(
        "learning_paths.models",
        "LearningPathEnrollment",
        "is_active",
        "BooleanField",
        None,
        "models.BooleanField(default=True, help_text=...)",
        LEARNING_PATHS,
    ),
)
