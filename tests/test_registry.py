import pytest
from django.core import checks
from django.core.checks import run_checks

from learning_credentials.eligibility.builtin import retrieve_course_completion
from learning_credentials.exceptions import ConfigurationError, InvalidOptions, UnknownFunction
from learning_credentials.registry import (
    Option,
    declare_options,
    generation_functions,
    resolve_options,
    retrieval_functions,
    validate_options,
)
from tests import factories

PLUGIN = """
from learning_credentials.registry import Option, declare_options

@declare_options(minimum_posts=Option(int, default=3, help="Forum posts needed."))
def retrieve_forum_activity(*, adapter, context_key, options, user_ids=None):
    return {}

def retrieve_by_module_scan(*, adapter, context_key, options, user_ids=None):
    return {}

def generate_badge_png(*, data, options, load_asset):
    return None

def helper():
    return None
"""


def test_builtin_functions_are_discovered_by_prefix():
    assert retrieval_functions.keys() == [
        "certification_exam_passed",  # registered by the exams sub-app, installed in the tests' settings
        "completion_and_grades",
        "completion_and_perfect_assessments",
        "course_completion",
        "subsection_grades",
    ]
    assert generation_functions.keys() == ["pdf_credential"]
    assert retrieval_functions.get("course_completion") is retrieve_course_completion


def test_entry_points_name_functions_or_modules(installed_plugin):
    installed_plugin(
        PLUGIN,
        """
        [learning_credentials.retrieval]
        forum = lc_test_plugin:retrieve_forum_activity
        scanned = lc_test_plugin
        [learning_credentials.generation]
        badge = lc_test_plugin:generate_badge_png
        """,
    )
    assert {"forum", "by_module_scan", "forum_activity", "course_completion"} <= set(retrieval_functions.keys())
    assert "helper" not in retrieval_functions.functions
    assert "badge" in generation_functions.functions
    assert resolve_options(retrieval_functions.get("forum"), {}) == {"minimum_posts": 3}


def test_conflicting_keys_are_reported(installed_plugin):
    installed_plugin(
        "def retrieve_course_completion(**kwargs):\n    return {}\n",
        "[learning_credentials.retrieval]\nmine = lc_test_plugin\n",
    )
    with pytest.raises(ConfigurationError, match="registered as 'course_completion'"):
        retrieval_functions.keys()


@pytest.mark.django_db
def test_system_check_reports_conflicting_plugins(installed_plugin):
    from learning_credentials.checks import check_stored_functions

    installed_plugin(
        "def retrieve_course_completion(**kwargs):\n    return {}\n",
        "[learning_credentials.retrieval]\nmine = lc_test_plugin\n",
    )
    [error] = check_stored_functions()
    assert error.id == "learning_credentials.E004" and "course_completion" in error.msg


def test_unknown_key_lists_what_is_registered():
    with pytest.raises(
        UnknownFunction,
        match="registered: certification_exam_passed, completion_and_grades, completion_and_perfect_assessments",
    ):
        retrieval_functions.get("nope")


@declare_options(
    size=Option(int, default=12, help="Font size."),
    title=Option(str, help="Required title."),
    ratio=Option(
        float,
        default=0.5,
        validator=lambda v: None if 0 <= v <= 1 else (_ for _ in ()).throw(ValueError("must be 0-1")),
    ),
    flag=Option(bool, default=False),
)
def _declared(**kwargs):
    return None


@pytest.mark.parametrize(
    "options,errors",
    [
        ({"title": "x"}, {}),
        ({"title": "x", "ratio": 1}, {}),
        ({}, {"title": ["title is required."]}),
        ({"title": 3}, {"title": ["title must be a string."]}),
        ({"title": "x", "size": True}, {"size": ["size must be a whole number."]}),
        ({"title": "x", "size": 1.5}, {"size": ["size must be a whole number."]}),
        ({"title": "x", "ratio": 2}, {"ratio": ["ratio: must be 0-1."]}),
        ({"title": "x", "flag": "yes"}, {"flag": ["flag must be a boolean (true or false)."]}),
        (
            {"title": "x", "extra": 1},
            {"extra": ["There is no option 'extra'; the accepted options are: 'flag', 'ratio', 'size', 'title'."]},
        ),
    ],
)
def test_validate_options_names_each_wrong_key(options, errors):
    if not errors:
        validate_options([_declared], options)
        return
    with pytest.raises(InvalidOptions) as error:
        validate_options([_declared], options)
    assert error.value.errors == errors


def test_options_must_be_an_object():
    with pytest.raises(InvalidOptions, match="must be a JSON object"):
        validate_options([_declared], ["title"])


def test_partial_validation_waives_required_keys_only():
    validate_options([_declared], {}, partial=True)
    with pytest.raises(InvalidOptions):
        validate_options([_declared], {"size": "big"}, partial=True)


@pytest.mark.django_db
def test_system_check_reports_unregistered_keys_and_bad_options(configuration):
    from learning_credentials.models import CredentialType

    found = [e.id for e in run_checks(databases=["default"]) if e.id.startswith("learning_credentials")]
    assert found == []
    CredentialType.objects.filter(pk=configuration.credential_type_id).update(retrieval_func="removed_plugin_func")
    broken = factories.ConfigurationFactory(learning_context_key="course-v1:DemoX+Other+2026")
    type(broken.credential_type).objects.filter(pk=broken.credential_type_id).update(
        custom_options={"required_completion": "all"}
    )
    messages = {e.id: e.msg for e in run_checks(databases=["default"]) if e.id.startswith("learning_credentials")}
    assert "unregistered retrieval_func 'removed_plugin_func'" in messages["learning_credentials.E002"]
    assert "required_completion must be a number between 0 and 100." in messages["learning_credentials.E003"]
    type(configuration).objects.filter(pk=configuration.pk).update(enabled=False)
    messages = {e.id: e for e in run_checks(databases=["default"]) if e.id.startswith("learning_credentials")}
    assert "learning_credentials.E002" not in messages  # nothing can fail on it while no configuration is enabled
    assert messages["learning_credentials.W003"].level == checks.WARNING


def test_system_check_reports_a_missing_adapter(settings):
    settings.LEARNING_CREDENTIALS = {}
    from learning_credentials.checks import check_adapter

    assert [e.id for e in check_adapter()] == ["learning_credentials.E001"]
    settings.LEARNING_CREDENTIALS = {"ADAPTER": "no.such.Adapter"}
    assert "cannot be imported" in check_adapter()[0].msg


class AdapterOfAnEarlierVersion:
    """A host's adapter written before get_sites existed."""

    def __getattr__(self, name):
        if name == "get_sites":
            raise AttributeError(name)
        return lambda *args, **kwargs: None


def test_system_check_names_what_an_adapter_lacks(settings):
    from learning_credentials.checks import check_adapter

    settings.LEARNING_CREDENTIALS = {"ADAPTER": f"{__name__}.AdapterOfAnEarlierVersion"}
    [error] = check_adapter()
    assert error.id == "learning_credentials.E001" and error.msg.endswith("it lacks: get_sites.")
