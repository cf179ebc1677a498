"""Seed an old site: an empty database migrated and filled by the open-craft plugin 0.5.3 itself.

Run it with the plugin's virtualenv (`make openedx-plugin-venv`), isolated so that our repository is not on sys.path:

    DATABASE_URL=sqlite:////tmp/old.sqlite3 MEDIA_ROOT=/tmp/old-media \
        .venv-openedx-plugin/bin/python -I tests/switch_over/old_site/seed.py /tmp/manifest.json

It migrates the database (which must be empty) and creates, through the plugin's own models, its PDF generator
(``generate_pdf_credential``: real PDFs in its storage layout under MEDIA_ROOT), its ``reissue()`` and its
configuration ``save()`` (which makes the PeriodicTask):

- assets: a PDF template, two more whose slugs are longer than 50 characters and share their first 50, two TTF
  fonts (DejaVu), a PNG logo; options reference all of them by slug;
- credential types with each built-in retrieval function and the generator (they pass the plugin's ``clean()``),
  and one whose functions are a third-party plugin's (not installed here, so saved without ``clean()``);
- a learning path and configurations for four courses and the path: the plugin's default schedule (every 10 days,
  disabled) and enabled ones, a crontab one, one that expires in the future and one that expired;
- learners named by their profile (edx-platform's UserProfile) or, without one, by first and last name (the plugin's
  fallback, " " for a user with neither), and credentials in every status: available (real PDFs), generating,
  error (a configuration whose template asset is gone), invalidated with reasons (the PDF archived by the plugin),
  reissued (the plugin's "Reissued" reason, multi-line after a staff reason), some with a legacy_id.

Then it writes the manifest (JSON, path from the command line), read back from the database:

- ``format`` (1), ``plugin`` {distribution, version, module_file}, ``django_version``, ``vendor`` (sqlite,
  postgresql, mysql), ``media_root``, ``settings`` {LMS_ROOT_URL, MEDIA_URL, PLATFORM_NAME}, ``emails_sent``;
- ``migrations``: {app label: [migration names applied, in order]} from django_migrations (all apps);
- ``tables``: {table name: {columns: [{name, type (Django's introspected field class), db_type (the engine's
  declared type), null}], constraints: [{columns, primary_key, unique, foreign_key ([table, column] or null),
  index}]}} for every ``learning_credentials_*`` table;
- ``users``: [{id, username, email, first_name, last_name, profile_name (null: no profile), has_usable_password}];
- ``learning_paths``: [{key, display_name, steps: [course keys]}];
- ``assets``: [{id, slug, description, path (storage name under MEDIA_ROOT), sha256, size, created, modified}];
- ``types``: [{id, name, retrieval_func, generation_func, custom_options, custom_options_raw (the text the
  column holds: jsonfield stores JSON as text), passes_plugin_clean, created, modified}];
- ``configurations``: [{id, learning_context_key, credential_type (name), credential_type_id, custom_options,
  custom_options_raw, created, modified, periodic_task: {id, name, task, enabled, interval ({every, period} or
  null), crontab ({minute, hour, day_of_week, day_of_month, month_of_year, timezone} or null), expires,
  start_time, one_off, args (the JSON text the column holds), kwargs}}];
- ``credentials``: [{label (what the seed made it for), uuid, verify_uuid, user_id, username, user_full_name,
  learning_context_key, learning_context_name, credential_type (name, as the row holds it), configuration_id,
  status, invalidation_reason, invalidated_at, created, modified, download_url, legacy_id, generation_task_id,
  file ({path, sha256, size} of its PDF under MEDIA_ROOT: learning_credentials/<uuid>.pdf, or
  learning_credentials_invalidated/<uuid>.pdf once invalidated; null if it has none)}].

Timestamps are ISO 8601 in UTC; UUIDs are the canonical hyphenated form.
"""

import hashlib
import importlib.metadata
import io
import json
import os
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "old_site_settings")

import django  # noqa: E402

django.setup()

from common.djangoapps.student.models import UserProfile  # noqa: E402
from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core import mail  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django_celery_beat.models import CrontabSchedule, IntervalSchedule  # noqa: E402
from learning_paths.models import LearningPath, LearningPathStep  # noqa: E402

# The plugin's package, from this virtualenv (check_environment() makes sure).
import learning_credentials  # noqa: E402
from learning_credentials.exceptions import CredentialGenerationError  # noqa: E402
from learning_credentials.models import (  # noqa: E402
    Credential,
    CredentialAsset,
    CredentialConfiguration,
    CredentialType,
)

PLUGIN_VERSION = "0.5.3"
FONTS = Path("/usr/share/fonts/truetype/dejavu")

DS101 = "course-v1:OpenCraft+DS101+2024"
PY200 = "course-v1:OpenCraft+PY200+2025"
BROKEN = "course-v1:OpenCraft+BROKEN+2025"
ACME = "course-v1:Acme+Partner+2025"
PATH = "path-v1:OpenCraft+DataPath+2025+all"

TEMPLATE = "certificate-template"
# Longer than our slugs (50) and equal in their first 50 characters: shortening them must keep them apart.
TEMPLATE_TWO_LINES = "old-site-academy-certificate-template-for-two-line-course-names"
TEMPLATE_PATH = "old-site-academy-certificate-template-for-two-line-course-names-and-paths"
FONT = "dejavu-sans"
FONT_BOLD = "dejavu-serif-bold"
LOGO = "acme-partner-logo"

RETRIEVE_GRADES = "learning_credentials.processors.retrieve_subsection_grades"
RETRIEVE_COMPLETIONS = "learning_credentials.processors.retrieve_completions"
RETRIEVE_BOTH = "learning_credentials.processors.retrieve_completions_and_grades"
GENERATE_PDF = "learning_credentials.generators.generate_pdf_credential"


def fail(message: str) -> None:
    sys.exit(f"old site seed: {message}")


def check_environment() -> None:
    """The plugin must come from this virtualenv, never from our repository."""
    module_file = Path(learning_credentials.__file__).resolve()
    if not module_file.is_relative_to(Path(sys.prefix).resolve()):
        fail(f"learning_credentials is imported from {module_file}, not from this virtualenv ({sys.prefix})")
    version = importlib.metadata.version("learning-credentials")
    if version != PLUGIN_VERSION:
        fail(f"the virtualenv has learning-credentials {version}, not {PLUGIN_VERSION}")
    if connection.introspection.table_names():
        fail(f"the database {connection.settings_dict['NAME']} is not empty")
    if not (FONTS / "DejaVuSans.ttf").exists():
        fail(f"no DejaVu fonts in {FONTS} (`make sysdeps` installs fonts-dejavu-core)")


def migrate() -> None:
    if connection.vendor == "postgresql":
        # learning_paths' migration history creates one index twice on PostgreSQL (edx-platform runs on MySQL):
        # there its tables come from its models and its migrations are recorded as applied, as they would be.
        call_command("migrate", "auth", verbosity=0)
        with connection.schema_editor() as editor:
            for model in apps.get_app_config("learning_paths").get_models():
                editor.create_model(model)
        call_command("migrate", "learning_paths", fake=True, verbosity=0)
    call_command("migrate", verbosity=0)


# --- files -------------------------------------------------------------------------------------------------


def pdf_template(title: str, subtitle: str) -> bytes:
    """A one-page landscape template, as a designer would hand over: frame, title, no learner data."""
    from reportlab.lib.pagesizes import landscape, letter
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=landscape(letter), invariant=1)
    width, height = landscape(letter)
    canvas.setStrokeColorRGB(0.12, 0.16, 0.27)
    canvas.setLineWidth(6)
    canvas.rect(24, 24, width - 48, height - 48)
    canvas.setFont("Helvetica-Bold", 30)
    canvas.drawCentredString(width / 2, height - 110, title)
    canvas.setFont("Helvetica", 14)
    canvas.drawCentredString(width / 2, height - 140, subtitle)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def png_logo() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 120), "#FFD54F")
    ImageDraw.Draw(image).rectangle((10, 10, 230, 110), outline="#3E2723", width=6)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def add_asset(slug: str, filename: str, content: bytes, description: str) -> CredentialAsset:
    asset = CredentialAsset(asset_slug=slug, description=description, asset=ContentFile(content, name=filename))
    asset.full_clean()
    asset.save()
    return asset


def sha256_of(name: str) -> dict:
    with default_storage.open(name, "rb") as handle:
        content = handle.read()
    return {"path": name, "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}


# --- data --------------------------------------------------------------------------------------------------


def create_assets() -> None:
    add_asset(TEMPLATE, "certificate-template.pdf", pdf_template("Certificate", "Old Site Academy"), "Main template")
    add_asset(
        TEMPLATE_TWO_LINES,
        "certificate-template-two-lines.pdf",
        pdf_template("Certificate", "Old Site Academy - two-line course names"),
        "For course names on two lines",
    )
    add_asset(
        TEMPLATE_PATH,
        "learning-path-template.pdf",
        pdf_template("Learning Path Certificate", "Old Site Academy"),
        "Learning paths",
    )
    add_asset(FONT, "DejaVuSans.ttf", (FONTS / "DejaVuSans.ttf").read_bytes(), "DejaVu Sans (Greek, Cyrillic)")
    add_asset(FONT_BOLD, "DejaVuSerif-Bold.ttf", (FONTS / "DejaVuSerif-Bold.ttf").read_bytes(), "")
    add_asset(LOGO, "acme-logo.png", png_logo(), "ACME's logo, for its own badge generator")


def create_types() -> dict[str, CredentialType]:
    types = {
        "grades": CredentialType(
            name="Certificate of Achievement",
            retrieval_func=RETRIEVE_GRADES,
            generation_func=GENERATE_PDF,
            custom_options={
                "required_grades": {"Homework": 0.4, "Final Exam": 0.65},
                "template": TEMPLATE,
                "template_multiline": TEMPLATE_TWO_LINES,
                "defaults": {"font": FONT, "color": "#1F2A44"},
                "text_elements": {
                    "name": {"y": 300, "font": FONT_BOLD, "size": 34},
                    "context": {"y": 225, "size": 22},
                    "date": {"y": 110, "char_space": 0.5, "uppercase": True},
                    "verify_line": {
                        "text": "Verify: https://lms.old-site.example.com/verify/{verify_uuid}",
                        "y": 60,
                        "size": 8,
                        "color": "#666",
                    },
                },
            },
        ),
        "completions": CredentialType(
            name="Certificate of Completion",
            retrieval_func=RETRIEVE_COMPLETIONS,
            generation_func=GENERATE_PDF,
            custom_options={
                "required_completion": 0.8,
                "template": TEMPLATE,
                "text_elements": {
                    "context": {"size": 24, "color": "#0B6E4F"},
                    "date": False,
                    "motto": {"text": "{{Learning never ends}}", "y": 70, "size": 10},
                },
            },
        ),
        "both": CredentialType(
            name="Learning Path Certificate",
            retrieval_func=RETRIEVE_BOTH,
            generation_func=GENERATE_PDF,
            custom_options={
                "required_completion": 0.9,
                "required_grades": {"Final Exam": 0.7},
                "template": TEMPLATE_PATH,
                "defaults": {"font": FONT},
                "steps": {DS101: {"required_completion": 0.8, "required_grades": {"Final Exam": 0.6}}},
            },
        ),
        # A third-party plugin's functions, which our registry cannot map (and which are not installed here).
        "acme": CredentialType(
            name="ACME Partner Badge",
            retrieval_func="acme_plugin.retrieval.retrieve_custom",
            generation_func="acme_plugin.generation.generate_badge",
            custom_options={"logo": LOGO, "badge_color": "gold", "issuer": "ACME Corp"},
        ),
    }
    for key, credential_type in types.items():
        if key != "acme":
            credential_type.full_clean()
        credential_type.save()
    return types


def create_learning_path() -> None:
    path = LearningPath.objects.create(key=PATH, display_name="Data Science Learning Path")
    LearningPathStep.objects.create(learning_path=path, course_key=DS101, order=1)
    LearningPathStep.objects.create(learning_path=path, course_key=PY200, order=2)


def configure(
    key: str, credential_type: CredentialType, options: dict | None = None, **task
) -> CredentialConfiguration:
    """Save a configuration as the admin does (its save() makes the PeriodicTask), then edit the task's schedule."""
    configuration = CredentialConfiguration(
        learning_context_key=key, credential_type=credential_type, custom_options=options or {}
    )
    configuration.full_clean(exclude=["periodic_task"])
    configuration.save()
    if task:
        periodic_task = configuration.periodic_task
        for name, value in task.items():
            setattr(periodic_task, name, value)
        periodic_task.save()
    return configuration


def create_configurations(types: dict[str, CredentialType]) -> dict[str, CredentialConfiguration]:
    hourly, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.HOURS)
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="2", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    return {
        # A two-line context name: the generator takes template_multiline.
        "ds101-grades": configure(
            DS101,
            types["grades"],
            {
                "required_grades": {"Final Exam": 0.8},
                "text_elements": {"context": {"text": "Data Science 101:\nFoundations of Data Analysis"}},
            },
            enabled=True,
        ),
        # The plugin's default: every 10 days, disabled.
        "ds101-completions": configure(DS101, types["completions"]),
        "py200-completions": configure(
            PY200,
            types["completions"],
            {"required_completion": 0.95},
            enabled=True,
            interval=None,
            crontab=nightly,
            expires=datetime(2030, 12, 31, 23, 59, tzinfo=UTC),
        ),
        "broken-completions": configure(BROKEN, types["completions"], {"template": "deleted-template"}),
        "acme-badge": configure(ACME, types["acme"], {"badge_color": "silver"}, enabled=True, interval=hourly),
        # Generation window closed: expired, still flagged enabled.
        "path-both": configure(PATH, types["both"], enabled=True, expires=datetime(2025, 1, 31, 12, 0, tzinfo=UTC)),
    }


def create_users() -> dict[str, User]:
    people = [
        # username, first, last, profile name (None: no profile), usable password
        ("ada", "Ada", "Lovelace", "Augusta Ada King, Countess of Lovelace", True),
        ("grace", "Grace", "Hopper", None, True),
        ("sofia", "Sofia", "Kovalevskaya", "Σοφία Κοβαλέφσκαγια", True),
        ("sean", "Seán", "Ó Briain", None, True),
        ("bob", "Bob", "O'Neil", "Bob O'Neil", True),
        ("carol", "Carol", "Shaw", None, True),
        ("dave", "Dave", "Cutler", "Dave Cutler", False),
        ("heidi", "Heidi", "Lamarr", None, True),
        ("ivan", "Ivan", "Sutherland", None, True),
        ("eve", "Eve", "Partner", None, False),
        ("frank", "Frank", "Partner", None, False),
        # Made with createsuperuser: no names, no profile; the plugin names it " ".
        ("admin", "", "", None, True),
    ]
    users = {}
    for username, first, last, profile_name, usable in people:
        user = User.objects.create_user(
            username, f"{username}@old-site.example.com", "not-a-real-password" if usable else None
        )
        user.first_name, user.last_name = first, last
        user.is_staff = user.is_superuser = username == "admin"
        user.save()
        if profile_name is not None:
            UserProfile.objects.create(user=user, name=profile_name)
        users[username] = user
    return users


def generate(configuration: CredentialConfiguration, user: User) -> Credential:
    """What the plugin's Celery task does for one learner (generation_task_id: the task's id)."""
    return configuration.generate_credential_for_user(user.id, str(uuid.uuid4()))


def create_credentials(configurations: dict, users: dict) -> dict[uuid.UUID, str]:
    labels = {}

    def label(credential: Credential, text: str) -> Credential:
        labels[credential.uuid] = text
        return credential

    ds101_grades = configurations["ds101-grades"]
    ada = label(generate(ds101_grades, users["ada"]), "available, two-line template, legacy_id")
    Credential.objects.filter(uuid=ada.uuid).update(legacy_id=9001)
    grace = label(generate(ds101_grades, users["grace"]), "invalidated: staff reason, then reissued")
    grace.invalidation_reason = "Name changed at the learner's request"
    label(grace.reissue(), "available, reissue of a credential with a staff reason")
    sofia = label(generate(ds101_grades, users["sofia"]), "invalidated: reissued")
    label(sofia.reissue(), "available, reissue, Greek name")
    label(generate(ds101_grades, users["admin"]), "available, user without names or profile")

    ds101_completions = configurations["ds101-completions"]
    label(generate(ds101_completions, users["ada"]), "available, second type in the same course")
    bob = label(generate(ds101_completions, users["bob"]), "invalidated: staff reason, PDF archived")
    bob.invalidation_reason = "Academic misconduct"
    bob.save()

    py200 = configurations["py200-completions"]
    label(generate(py200, users["dave"]), "available, Unicode course name, no email")
    label(generate(py200, users["sean"]), "available, accented name")
    # A worker that died mid-generation leaves the row the plugin's update_or_create made.
    carol = label(
        Credential.objects.create(
            user=users["carol"],
            user_full_name="Carol Shaw",
            learning_context_key=py200.learning_context_key,
            learning_context_name=settings.OLD_SITE_COURSES[PY200]["display_name"],
            credential_type=py200.credential_type.name,
            configuration=py200,
            status=Credential.Status.GENERATING,
            generation_task_id=str(uuid.uuid4()),
        ),
        "generating",
    )
    Credential.objects.filter(uuid=carol.uuid).update(
        created=datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=UTC),
        modified=datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=UTC),
    )

    broken = configurations["broken-completions"]
    for username, text in (("heidi", "error: template asset missing"), ("ivan", "invalidated: after an error")):
        try:
            generate(broken, users[username])
        except CredentialGenerationError:
            pass
        else:
            fail("generating with a missing template asset did not fail")
        label(Credential.objects.get(configuration=broken, user=users[username]), text)
    ivan = Credential.objects.get(configuration=broken, user=users["ivan"])
    ivan.invalidation_reason = "Course retired"
    ivan.save()

    # The third-party generator is not installed here: its rows as it would have left them.
    acme = configurations["acme-badge"]
    for username, status, extra, created in (
        (
            "eve",
            Credential.Status.AVAILABLE,
            {"download_url": "https://badges.acme.example/b/eve.png", "legacy_id": 77},
            datetime(2024, 11, 5, 14, 0, tzinfo=UTC),
        ),
        (
            "frank",
            Credential.Status.INVALIDATED,
            {"invalidation_reason": "Revoked by ACME\nPartner agreement ended"},
            datetime(2024, 6, 1, 8, 0, tzinfo=UTC),
        ),
    ):
        user = users[username]
        credential = Credential.objects.create(
            user=user,
            user_full_name=f"{user.first_name} {user.last_name}",
            learning_context_key=acme.learning_context_key,
            learning_context_name=ACME,
            credential_type=acme.credential_type.name,
            configuration=acme,
            status=status,
            generation_task_id=str(uuid.uuid4()),
            **extra,
        )
        Credential.objects.filter(uuid=credential.uuid).update(
            created=created,
            modified=created,
            invalidated_at=created.replace(month=created.month + 1) if credential.invalidated_at else None,
        )
        label(credential, f"{status}, third-party type")

    path_both = configurations["path-both"]
    path_ada = label(generate(path_both, users["ada"]), "available, learning path, legacy_id")
    Credential.objects.filter(uuid=path_ada.uuid).update(legacy_id=12345)
    return labels


# --- manifest ----------------------------------------------------------------------------------------------


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def raw_options(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT custom_options FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def declared_types(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA table_info({table})")
            return {row[1]: row[2] for row in cursor.fetchall()}
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                [table],
            )
        else:
            cursor.execute(
                "SELECT column_name, column_type FROM information_schema.columns "
                "WHERE table_schema = DATABASE() AND table_name = %s",
                [table],
            )
        return dict(cursor.fetchall())


def schema() -> dict:
    tables = {}
    introspection = connection.introspection
    with connection.cursor() as cursor:
        for table in sorted(
            name for name in introspection.table_names(cursor) if name.startswith("learning_credentials_")
        ):
            declared = declared_types(table)
            columns = [
                {
                    "name": column.name,
                    "type": introspection.get_field_type(column.type_code, column),
                    "db_type": declared.get(column.name),
                    "null": bool(column.null_ok),
                }
                for column in introspection.get_table_description(cursor, table)
            ]
            constraints = sorted(
                (
                    {
                        "columns": list(details["columns"]),
                        "primary_key": bool(details["primary_key"]),
                        "unique": bool(details["unique"]),
                        "foreign_key": list(details["foreign_key"]) if details["foreign_key"] else None,
                        "index": bool(details["index"]),
                    }
                    for details in introspection.get_constraints(cursor, table).values()
                ),
                key=lambda item: json.dumps(item, sort_keys=True),
            )
            tables[table] = {"columns": columns, "constraints": constraints}
    return tables


def applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
        for app, name in cursor.fetchall():
            applied.setdefault(app, []).append(name)
    return applied


def credential_file(credential: Credential) -> dict | None:
    for folder in ("learning_credentials", "learning_credentials_invalidated"):
        name = f"{folder}/{credential.uuid}.pdf"
        if default_storage.exists(name):
            return sha256_of(name)
    return None


def periodic_task_record(task) -> dict:
    interval = {"every": task.interval.every, "period": task.interval.period} if task.interval else None
    crontab = None
    if task.crontab:
        crontab = {
            field: getattr(task.crontab, field)
            for field in ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")
        }
        crontab["timezone"] = str(task.crontab.timezone)
    return {
        "id": task.id,
        "name": task.name,
        "task": task.task,
        "enabled": task.enabled,
        "interval": interval,
        "crontab": crontab,
        "expires": iso(task.expires),
        "start_time": iso(task.start_time),
        "one_off": task.one_off,
        "args": task.args,
        "kwargs": task.kwargs,
    }


def manifest(labels: dict) -> dict:
    clean = {}
    for credential_type in CredentialType.objects.all():
        try:
            credential_type.full_clean()
            clean[credential_type.id] = True
        except ValidationError:
            clean[credential_type.id] = False
    return {
        "format": 1,
        "plugin": {
            "distribution": "learning-credentials",
            "version": importlib.metadata.version("learning-credentials"),
            "module_file": learning_credentials.__file__,
        },
        "django_version": django.get_version(),
        "vendor": connection.vendor,
        "media_root": str(settings.MEDIA_ROOT),
        "settings": {name: getattr(settings, name) for name in ("LMS_ROOT_URL", "MEDIA_URL", "PLATFORM_NAME")},
        "emails_sent": len(getattr(mail, "outbox", [])),
        "migrations": applied_migrations(),
        "tables": schema(),
        "users": [
            {
                "id": user.id,
                "username": user.username,
                "email": user.email,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "profile_name": UserProfile.objects.filter(user=user).values_list("name", flat=True).first(),
                "has_usable_password": user.has_usable_password(),
            }
            for user in User.objects.order_by("id")
        ],
        "learning_paths": [
            {
                "key": str(path.key),
                "display_name": path.display_name,
                "steps": [str(step.course_key) for step in path.steps.all()],
            }
            for path in LearningPath.objects.order_by("id")
        ],
        "assets": [
            {
                "id": asset.id,
                "slug": asset.asset_slug,
                "description": asset.description,
                **sha256_of(asset.asset.name),
                "created": iso(asset.created),
                "modified": iso(asset.modified),
            }
            for asset in CredentialAsset.objects.order_by("id")
        ],
        "types": [
            {
                "id": credential_type.id,
                "name": credential_type.name,
                "retrieval_func": credential_type.retrieval_func,
                "generation_func": credential_type.generation_func,
                "custom_options": credential_type.custom_options,
                "custom_options_raw": raw_options("learning_credentials_credentialtype", credential_type.id),
                "passes_plugin_clean": clean[credential_type.id],
                "created": iso(credential_type.created),
                "modified": iso(credential_type.modified),
            }
            for credential_type in CredentialType.objects.order_by("id")
        ],
        "configurations": [
            {
                "id": configuration.id,
                "learning_context_key": str(configuration.learning_context_key),
                "credential_type": configuration.credential_type.name,
                "credential_type_id": configuration.credential_type_id,
                "custom_options": configuration.custom_options,
                "custom_options_raw": raw_options("learning_credentials_credentialconfiguration", configuration.id),
                "created": iso(configuration.created),
                "modified": iso(configuration.modified),
                "periodic_task": periodic_task_record(configuration.periodic_task),
            }
            for configuration in CredentialConfiguration.objects.select_related(
                "credential_type", "periodic_task__interval", "periodic_task__crontab"
            ).order_by("id")
        ],
        "credentials": [
            {
                "label": labels.get(credential.uuid, ""),
                "uuid": str(credential.uuid),
                "verify_uuid": str(credential.verify_uuid),
                "user_id": credential.user_id,
                "username": credential.user.username,
                "user_full_name": credential.user_full_name,
                "learning_context_key": str(credential.learning_context_key),
                "learning_context_name": credential.learning_context_name,
                "credential_type": credential.credential_type,
                "configuration_id": credential.configuration_id,
                "status": credential.status,
                "invalidation_reason": credential.invalidation_reason,
                "invalidated_at": iso(credential.invalidated_at),
                "created": iso(credential.created),
                "modified": iso(credential.modified),
                "download_url": credential.download_url,
                "legacy_id": credential.legacy_id,
                "generation_task_id": credential.generation_task_id,
                "file": credential_file(credential),
            }
            for credential in Credential.objects.select_related("user").order_by("created", "uuid")
        ],
    }


def main() -> None:
    if len(sys.argv) != 2:
        fail("usage: seed.py MANIFEST.json")
    check_environment()
    migrate()
    create_assets()
    types = create_types()
    create_learning_path()
    configurations = create_configurations(types)
    users = create_users()
    labels = create_credentials(configurations, users)
    data = manifest(labels)
    Path(sys.argv[1]).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    counts = {name: len(data[name]) for name in ("assets", "types", "configurations", "credentials")}
    print(f"old site seeded ({connection.vendor}): {counts}")


if __name__ == "__main__":
    main()
