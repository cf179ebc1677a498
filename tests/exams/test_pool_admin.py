"""The question list's "Import a pool" page and pool download, as platform staff use them: never a 500."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from learning_credentials.exams.models import Question
from learning_credentials.exams.pools import MAX_FILE_BYTES

from .conftest import COURSE
from .test_pools import THREE, document, question, snapshot

pytestmark = pytest.mark.django_db
IMPORT = reverse("admin:learning_credentials_exams_question_import_pool")
EXPORT = reverse("admin:learning_credentials_exams_question_export_pool")
CHANGELIST = reverse("admin:learning_credentials_exams_question_changelist")


def upload(client, content, *, key=str(COURSE), dry_run=False, name="pool.json"):
    content = content if isinstance(content, bytes) else json.dumps(content).encode()
    data = {"pool_context_key": key, "file": SimpleUploadedFile(name, content, content_type="application/json")}
    return client.post(IMPORT, {**data, **({"dry_run": "on"} if dry_run else {})})


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def field_errors(response, field: str) -> list[str]:
    assert response.status_code == 200
    return list(response.context["form"].errors.get(field, []))


def test_the_list_links_to_import_and_export(admin_client):
    page = admin_client.get(CHANGELIST).content.decode()
    assert f'href="{IMPORT}"' in page
    assert f'href="{EXPORT}"' in page
    filtered = admin_client.get(CHANGELIST, {"pool_context_key__exact": str(COURSE)}).content.decode()
    assert f'href="{EXPORT}?pool_context_key=course-v1%3ADemoX%2BCS101%2B2026"' in filtered


def test_the_import_page_is_a_file_upload_form(admin_client):
    page = admin_client.get(IMPORT).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'name="file"' in page and 'name="pool_context_key"' in page
    assert "at most 5 MB" in page


def test_a_valid_file_is_imported_with_the_counts_in_a_message(admin_client):
    response = upload(admin_client, THREE)
    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}?pool_context_key__exact=course-v1%3ADemoX%2BCS101%2B2026"
    assert texts(response) == [
        f"Imported into the pool of {COURSE}: 3 created, 0 updated, 0 unchanged; "
        "0 question(s) of the pool not in the file left as they were."
    ]
    assert Question.objects.filter(pool_context_key=COURSE).count() == 3
    assert admin_client.get(response["Location"]).status_code == 200  # the filtered list


def test_a_dry_run_says_what_would_change_and_writes_nothing(admin_client):
    response = upload(admin_client, THREE, dry_run=True)
    assert response.status_code == 302 and response["Location"] == IMPORT
    assert "3 to create" in texts(response)[0]
    assert Question.objects.count() == 0


def test_every_error_is_shown_on_the_form_and_nothing_is_imported(admin_client):
    upload(admin_client, THREE)
    before = snapshot()
    broken = document(question("q1", text="Changed?"), question("x", "multiple", options=[]), {"id": "y"})
    response = upload(admin_client, broken)
    errors = field_errors(response, "file")
    assert errors == [
        "question 'x' (item 2): options: a multiple choice question needs at least 2 options; it has 0",
        "question 'x' (item 2): options: a multiple choice question needs at least 1 correct option; it has 0",
        "question 'y' (item 3): kind: is missing",
        "question 'y' (item 3): lesson: is missing",
        "question 'y' (item 3): options: is missing",
        "question 'y' (item 3): text: is missing",
    ]
    page = response.content.decode()
    assert all(error.replace("'", "&#x27;") in page for error in errors)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x00\xff\xfe garbage \x89PNG", "The file is not UTF-8 text."),
        (
            b"%PDF-1.7 not json",
            (
                "The file is not valid JSON. Line 1, column 1: expected a value: a string in double quotes, a "
                "number, true, false, null, an object or a list."
            ),
        ),
        (b"", "The submitted file is empty."),
        (b" " * (MAX_FILE_BYTES + 1), "The file is larger than 5 MB."),
    ],
)
def test_garbage_and_oversize_uploads_are_refused_on_the_form(admin_client, content, expected):
    response = upload(admin_client, content)
    assert field_errors(response, "file") == [expected]
    assert Question.objects.count() == 0


def test_a_malformed_pool_key_is_refused_on_its_field(admin_client):
    response = upload(admin_client, THREE, key="course-v1:nope")
    assert field_errors(response, "pool_context_key") == [
        "pool course: 'course-v1:nope' is not a course key (such as course-v1:Org+Course+Run)."
    ]
    assert Question.objects.count() == 0


def test_the_export_downloads_the_pool_as_the_import_reads_it(admin_client):
    upload(admin_client, THREE)
    response = admin_client.get(EXPORT, {"pool_context_key": str(COURSE)})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="question-pool-course-v1_DemoX_CS101_2026.json"'
    exported = json.loads(response.content)
    assert [item["id"] for item in exported["questions"]] == ["q1", "q2", "q3"]
    again = upload(admin_client, response.content)
    assert "0 created, 0 updated, 3 unchanged" in texts(again)[-1]
    posted = admin_client.post(EXPORT, {"pool_context_key": str(COURSE)})
    assert posted.content == response.content


def test_the_export_page_asks_for_the_course_and_names_a_bad_key(admin_client):
    assert 'name="pool_context_key"' in admin_client.get(EXPORT).content.decode()
    response = admin_client.get(EXPORT, {"pool_context_key": "nope"})
    assert field_errors(response, "pool_context_key") == [
        "pool course: 'nope' is not a course key (such as course-v1:Org+Course+Run)."
    ]


def test_staff_who_may_only_view_questions_can_export_but_not_import(client, staff_user):
    staff_user.user_permissions.add(Permission.objects.get(codename="view_question"))
    client.force_login(staff_user)
    assert client.get(EXPORT, {"pool_context_key": str(COURSE)}).status_code == 200
    assert client.get(IMPORT).status_code == 403
    assert upload(client, THREE).status_code == 403
    assert f'href="{IMPORT}"' not in client.get(CHANGELIST).content.decode()
    assert Question.objects.count() == 0
