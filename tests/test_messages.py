"""Messages without internals: what staff and API callers read when their input is wrong.

Every message the issue names is checked word for word; then the admin's forms and every API
endpoint get bad input, and no answer may show a Python repr, a type name or a traceback.
"""

import html
import io
import json
import re

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from PIL import Image

from learning_credentials.exceptions import InvalidOptions
from learning_credentials.models import CredentialAsset, CredentialConfiguration, CredentialType
from learning_credentials.problems import JSONProblem, json_parse
from learning_credentials.registry import function_options, retrieval_functions, validate_options
from tests import factories
from tests.factories import template_pdf

pytestmark = pytest.mark.django_db

INTERNALS = ("<class", "Traceback", "object at 0x", "ValidationError(", "['", "{'", "Error:", "char ")
API = "/api/learning_credentials/v1/"


def assert_no_internals(text: str, where: str) -> None:
    shown = html.unescape(text)
    found = [marker for marker in INTERNALS if marker in shown]
    assert not found, f"{where} shows {found}: {shown[:600]}"


def admin_messages(response) -> str:
    """The parts of an admin page that speak to staff: field errors, the error note and messages."""
    page = response.content.decode()
    parts = re.findall(r'<ul class="errorlist[^"]*"[^>]*>.*?</ul>', page, re.S)
    parts += re.findall(r'<p class="errornote">.*?</p>', page, re.S)
    parts += re.findall(r'<ul class="messagelist">.*?</ul>', page, re.S)
    return "\n".join(parts)


def type_form(**overrides) -> dict:
    return {
        "name": "Badge",
        "slug": "badge",
        "retrieval_func": "course_completion",
        "generation_func": "pdf_credential",
        "custom_options": "{}",
        **overrides,
    }


def configuration_form(credential_type: CredentialType, **overrides) -> dict:
    return factories.configuration_form_data(
        context_key=factories.COURSE_KEY, credential_type_id=credential_type.pk, **overrides
    )


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (20, 60, 120)).save(buffer, "PNG")
    return buffer.getvalue()


def admin_url(model, view: str = "add") -> str:
    return reverse(f"admin:learning_credentials_{model._meta.model_name}_{view}")


# --- The examples, word for word ----------------------------------------------------------


def test_an_upload_that_is_not_an_image_says_so(admin_client):
    data = {"slug": "demo-logo", "kind": "image", "file": SimpleUploadedFile("logo.png", template_pdf())}
    response = admin_client.post(admin_url(CredentialAsset), data)
    assert response.context["adminform"].form.errors["file"] == ["The file is not an image we can read (PNG or JPEG)."]
    assert not CredentialAsset.objects.exists()


def test_an_asset_of_the_wrong_kind_says_what_it_is(admin_client, course, template_asset):
    CredentialAsset.objects.create(slug="demo-logo", kind="image", file=SimpleUploadedFile("logo.png", png_bytes()))
    response = admin_client.post(admin_url(CredentialType), type_form(custom_options='{"template": "demo-logo"}'))
    errors = response.context["adminform"].form.errors["custom_options"]
    assert errors == ["template: 'demo-logo' is an image, not a PDF template."]
    assert not CredentialType.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{\n  "template": "t",\n  "required_completion": 90\n  "x": 1\n}',
            "Line 4, column 3: expected a comma or a closing brace }.",
        ),
        ('{\n  "a": [1, 2\n}', "Line 3, column 1: expected a comma or a closing bracket ]."),
        ('{"a": 1,}', "Line 1, column 9: a comma before a closing brace or bracket is one too many."),
        ("{'a': 1}", "Line 1, column 2: expected a field name in double quotes."),
        (
            '{"a": }',
            "Line 1, column 7: expected a value: a string in double quotes, a number, true, false, null, an object "
            "or a list.",
        ),
        ('{"a": 1', "Line 1, column 8: expected a comma or a closing brace }."),
        ('{"a": ', "Line 1, column 7: the text ends where a value was expected (is something unclosed?)."),
        ('{"a": "b}', "Line 1, column 7: this string is not closed with a double quote."),
        ('{"a": 1} 2', "Line 1, column 10: more text follows the end of the JSON value."),
    ],
)
def test_json_syntax_errors_give_line_column_and_what_was_expected(text, message):
    with pytest.raises(JSONProblem) as problem:
        json_parse(text)
    assert str(problem.value) == message


def test_json_syntax_errors_in_the_admin_say_where(admin_client, course, template_asset):
    text = '{\n  "template": "certificate-template",\n  "required_completion": 90\n  "enrollment_modes": null\n}'
    for url, form in (
        (admin_url(CredentialType), type_form(custom_options=text)),
        (
            admin_url(CredentialConfiguration),
            configuration_form(factories.CredentialTypeFactory(), custom_options=text),
        ),
    ):
        response = admin_client.post(url, form)
        assert response.context["adminform"].form.errors["custom_options"] == [
            "Line 4, column 3: expected a comma or a closing brace }."
        ]
    assert CredentialType.objects.count() == 1 and not CredentialConfiguration.objects.exists()


def test_json_syntax_errors_in_an_api_body_say_where(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        f"{API}progress/", '{"context_key": "x",\n "username" "ada"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The body is not valid JSON. Line 2, column 13: expected a colon after the field name.",
        "code": "parse_error",
    }
    response = client.post(f"{API}progress/", "[1, 2]", content_type="application/json")
    assert response.json()["detail"] == "The body must be a JSON object (in braces), not a list."


BUILTIN_RETRIEVAL = [
    "course_completion",
    "subsection_grades",
    "completion_and_grades",
    "completion_and_perfect_assessments",
]
# Each option of the built-in retrieval functions: a value of the wrong kind, one out of range, and the sentence.
OPTION_CASES = {
    "required_total": [
        ("ninety", "required_total must be a number between 0 and 100, or null."),
        (101, "required_total must be a number between 0 and 100, or null."),
        (True, "required_total must be a number between 0 and 100, or null."),
    ],
    "required_completion": [
        ("all", "required_completion must be a number between 0 and 100."),
        (-1, "required_completion must be a number between 0 and 100."),
        (None, "required_completion must be a number between 0 and 100."),
    ],
    "required_grades": [
        (
            ["Exam"],
            'required_grades must be an object of assignment categories and minimum percentages, e.g. {"Exam": 70}.',
        ),
        ({"Exam": 170}, "In required_grades, the minimum of 'Exam' must be a number between 0 and 100."),
        ({"Exam": "high"}, "In required_grades, the minimum of 'Exam' must be a number between 0 and 100."),
    ],
    "enrollment_modes": [
        (
            "verified",
            'enrollment_modes must be a list of enrollment modes (e.g. ["verified", "professional"]), or null.',
        ),
        (["*"], 'enrollment_modes must be a list of enrollment modes (e.g. ["verified", "professional"]), or null.'),
        ([3], 'enrollment_modes must be a list of enrollment modes (e.g. ["verified", "professional"]), or null.'),
    ],
}


@pytest.mark.parametrize("key", BUILTIN_RETRIEVAL)
def test_every_option_of_every_builtin_retrieval_function_is_refused_in_words(key):
    function = retrieval_functions.get(key)
    declared = function_options(function)
    assert declared and set(declared) <= set(OPTION_CASES), "an option without a message test"
    for name in declared:
        for value, sentence in OPTION_CASES[name]:
            with pytest.raises(InvalidOptions) as refused:
                validate_options([function], {name: value}, partial=True)
            assert refused.value.errors == {name: [sentence]}, (name, value)
    with pytest.raises(InvalidOptions) as refused:
        validate_options([function], {"required_totl": 80}, partial=True)
    accepted = ", ".join(f"'{name}'" for name in sorted(declared))
    assert refused.value.errors == {
        "required_totl": [f"There is no option 'required_totl'; the accepted options are: {accepted}."]
    }


def test_options_that_are_not_an_object_say_what_they_are(admin_client, course, template_asset):
    response = admin_client.post(admin_url(CredentialType), type_form(custom_options="[1, 2]"))
    assert response.context["adminform"].form.errors["custom_options"] == [
        "The options must be a JSON object (in braces), not a list."
    ]


@pytest.mark.parametrize(("text", "kind"), [("[1, 2]", "a list"), ('"text"', "a string"), ("42", "a number")])
def test_configuration_options_that_are_not_an_object_say_what_they_are(
    admin_client, course, template_asset, text, kind
):
    form = configuration_form(factories.CredentialTypeFactory(), custom_options=text)
    response = admin_client.post(admin_url(CredentialConfiguration), form)
    assert response.status_code == 200  # the form again, not a server error
    assert response.context["adminform"].form.errors["custom_options"] == [
        f"The options must be a JSON object (in braces), not {kind}."
    ]


def test_a_language_templates_options_say_where_json_is_wrong_and_must_be_an_object(
    admin_client, course, template_asset
):
    form = configuration_form(
        factories.CredentialTypeFactory(),
        **{
            "language_templates-TOTAL_FORMS": 2,
            "language_templates-0-language": "es",
            "language_templates-0-template": template_asset.slug,
            "language_templates-0-custom_options": '{"font": "Helvetica",}',
            "language_templates-1-language": "fr",
            "language_templates-1-template": template_asset.slug,
            "language_templates-1-custom_options": "[1]",
        },
    )
    response = admin_client.post(admin_url(CredentialConfiguration), form)
    assert response.status_code == 200
    (languages,) = [
        f.formset for f in response.context["inline_admin_formsets"] if f.formset.prefix == "language_templates"
    ]
    errors = [form.errors for form in languages.forms]
    assert errors[0]["custom_options"] == [
        "Line 1, column 22: a comma before a closing brace or bracket is one too many."
    ]
    assert errors[1]["custom_options"] == ["The options must be a JSON object (in braces), not a list."]
    assert not CredentialConfiguration.objects.exists()


# --- The walk: bad input everywhere, no internals anywhere -----------------------------------------


BAD_VALUES = ("", "zz}", "-1", "999999999999999999999", "course-v1:Nope+", "\u00e9\u00e9")


def _our_admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label.startswith("learning_credentials")
    ]


def test_every_admin_add_form_answers_bad_input_in_words(admin_client, course, template_asset):
    walked = 0
    for model, _model_admin in _our_admins():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
        page = admin_client.get(url, follow=True)
        if page.status_code != 200 or "adminform" not in (page.context or {}):
            continue
        form = page.context["adminform"].form
        for bad in BAD_VALUES:
            data = {name: bad for name in form.fields}
            data.update({"credits-TOTAL_FORMS": 1, "credits-INITIAL_FORMS": 0, "options-TOTAL_FORMS": 1})
            data.update({"options-INITIAL_FORMS": 0, "credits-0-amount": bad, "options-0-text": bad})
            for name, field in form.fields.items():
                if field.widget.needs_multipart_form and bad:
                    data[name] = SimpleUploadedFile("upload.bin", bad.encode() + b"\x00\xff")
            response = admin_client.post(url, data)
            assert response.status_code < 500, (model, bad)
            assert_no_internals(admin_messages(response), f"{model.__name__} add form with {bad!r}")
        walked += 1
    assert walked >= 4


def test_every_admin_action_form_answers_bad_input_in_words(admin_client, configuration):
    credential = factories.CredentialFactory(configuration=configuration)
    changelist = admin_url(credential.__class__, "changelist")
    for action in ("invalidate", "reissue", "renew", "suspend", "lift_suspension", "retry"):
        for bad in BAD_VALUES:
            data = {"action": action, "_selected_action": [credential.pk], "apply": "1"}
            data.update({"category": bad, "note": bad, "reason": bad, "confirm": bad})
            response = admin_client.post(changelist, data, follow=True)
            assert response.status_code < 500, (action, bad)
            assert_no_internals(admin_messages(response), f"action {action} with {bad!r}")


def _api_routes() -> list[tuple[str, list[str]]]:
    """Every API route under the prefix, as a path template with its parameters named."""
    routes = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                routes.append(prefix + str(pattern.pattern))

    walk(get_resolver().url_patterns, "/")
    return sorted({route for route in routes if route.startswith(API) and "schema" not in route})


PARAMETER_VALUES = ("nope", "course-v1:Nope+", "00000000-0000-0000-0000-000000000000", "12345", "%C3%A9")
BODIES = (
    ('{"context_key": ', "application/json"),
    ("[1, 2]", "application/json"),
    ('"text"', "application/json"),
    (
        '{"context_key": {"a": []}, "username": [1], "answer": {"x": 1}, "option_ids": "x", "amount": "x"}',
        "application/json",
    ),
    ('{"context_key": 1e999, "username": NaN}', "application/json"),
    ("\xff\xfe", "application/json"),
    ("a=b&c", "application/x-www-form-urlencoded"),
)


def test_every_api_endpoint_answers_bad_input_in_words(client, staff_user, learner):
    routes = _api_routes()
    assert len(routes) >= 15
    for who in (None, learner, staff_user):
        if who is not None:
            client.force_login(who)
        for route in routes:
            for value in PARAMETER_VALUES:
                url = re.sub(r"<(?:\w+:)?\w+>", value, route)
                responses = [client.get(url, {"context_key": value, "page": "x", "username": value, "format": "x"})]
                for body, content_type in BODIES:
                    responses.append(client.post(url, body, content_type=content_type))
                for response in responses:
                    assert response.status_code != 500, url  # 503: a webhook without its secret
                    if response.get("Content-Type", "").startswith("application/json"):
                        assert_no_internals(response.content.decode(), f"{response.request['REQUEST_METHOD']} {url}")
                        body = json.loads(response.content)
                        assert response.status_code < 400 or {"detail", "code"} <= set(body), (url, body)


def test_the_preview_words_its_refusals(admin_client, course, template_asset):
    url = reverse("admin:learning_credentials_credentialconfiguration_preview")
    credential_type = factories.CredentialTypeFactory()
    for options, expected in (
        ('{"required_total": "x"', "Option overrides: Line 1, column 23: expected a comma or a closing brace }."),
        ('{"required_completion": 120}', "Option overrides: required_completion must be a number between 0 and 100."),
    ):
        response = admin_client.post(url, configuration_form(credential_type, custom_options=options))
        assert response.context["errors"] == [expected]
        assert_no_internals(admin_messages(response), f"preview of {options}")


@pytest.mark.parametrize(
    "arguments",
    [
        ["generate_credentials", "--configuration", "999999"],
        ["export_credentials", "--context", "course-v1:Nope+", "--output", "{tmp}/out.csv"],
        ["export_credentials", "--configuration", "999999", "--output", "{tmp}/out.csv"],
        ["export_credentials", "--context", factories.COURSE_KEY, "--output", "{tmp}/missing/out.csv"],
        ["grant_points", "5", "nobody", "x'y", "--note", "gift"],
        ["import_question_pool", "--context", factories.COURSE_KEY, "{tmp}/pool.json"],
        ["import_question_pool", "--context", "course-v1:Nope+", "{tmp}/pool.json"],
        ["export_question_pool", "--context", "not a key"],
        ["verify_credential", "{tmp}/pool.json"],
        ["credential_keys", "revoke", "--key", "nope"],
    ],
)
def test_management_commands_refuse_bad_input_in_words(arguments, tmp_path, course, capsys):
    from django.core.management import CommandError, call_command

    (tmp_path / "pool.json").write_text('{"format": "question-pool",\n "version": 1 "questions": []}')
    arguments = [argument.replace("{tmp}", str(tmp_path)) for argument in arguments]
    try:
        call_command(*arguments)
    except CommandError as error:
        said = str(error)
    except SystemExit:  # a command that reports and exits with a status of its own
        said = ""
    captured = capsys.readouterr()
    said = "\n".join((said, captured.out, captured.err))
    assert said.strip(), arguments
    assert_no_internals(said, " ".join(arguments))


def test_every_page_answers_bad_input_in_words(client, learner):
    """The learner and public pages (verification lookup, file check, exams): no 500, no Python in the page."""
    routes = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                routes.append(prefix + str(pattern.pattern))

    walk(get_resolver().url_patterns, "/")
    pages = sorted({r for r in routes if r.startswith("/learning_credentials/")})
    assert len(pages) >= 10
    client.force_login(learner)
    upload = SimpleUploadedFile("credential.json", b'{"a": 1,}')
    for route in pages:
        url = re.sub(r"<(?:\w+:)?\w+>", "nope", route).replace(".jwt", "x.jwt")
        for response in (
            client.get(url, {"code": "zz}", "via": "x", "page": "x"}),
            client.post(url, {"code": "zz}", "file": upload, "answer": "x", "option": "x"}),
        ):
            upload.seek(0)
            assert response.status_code != 500, url
            text = html.unescape(response.content.decode(errors="replace"))
            found = [marker for marker in ("<class", "Traceback", "object at 0x", "ValidationError(") if marker in text]
            assert not found, (url, found)
