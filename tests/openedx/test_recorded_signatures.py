"""The fakes mirror the recorded edx-platform and plugin APIs, and the records cover what the adapter imports."""

import ast
import importlib
import inspect
from operator import attrgetter
from pathlib import Path

import pytest
from opaque_keys.edx.keys import CourseKey

from learning_credentials.adapters import openedx

from . import fakes
from .recorded_signatures import ATTRIBUTES, CONSTANTS, FIELDS, SIGNATURES

COURSE = CourseKey.from_string("course-v1:OpenedX+DS101+2026")
# Arguments to build an instance of each recorded class whose instance attributes are checked.
SAMPLE_ARGUMENTS = {
    "CourseGradeFactory.GradeResult": (None, None, None),
    "CourseGrade": ([], [], 0.5),
    "ZeroCourseGrade": ([], []),
    "ReadSubsectionGrade": (COURSE.make_usage_key("sequential", "s1"), "Homework", 1, 2),
    "AggregatedScore": (1, 2),
    "CourseBlock": (COURSE, [], {"Pass": 0.5}),
    "BlockStructureBlockData": (COURSE.make_usage_key("course", "course"),),
    "VisibilityTransformer": (),
    "XBlockCompletionMode": (),
}


@pytest.fixture(autouse=True)
def _fakes(monkeypatch):
    fakes.install(monkeypatch)


def _resolve(module: str, qualname: str):
    return attrgetter(qualname)(importlib.import_module(module))


@pytest.mark.parametrize("record", SIGNATURES, ids=lambda record: f"{record.module}.{record.qualname}")
def test_signature(record):
    assert str(inspect.signature(_resolve(record.module, record.qualname))) == record.signature


@pytest.mark.parametrize("record", ATTRIBUTES, ids=lambda record: f"{record.module}.{record.qualname}")
def test_attributes(record):
    instance = _resolve(record.module, record.qualname)(*SAMPLE_ARGUMENTS[record.qualname])
    assert all(hasattr(instance, name) for name in record.names)


@pytest.mark.parametrize("record", CONSTANTS, ids=lambda record: f"{record.module}.{record.name}")
def test_constant(record):
    assert getattr(importlib.import_module(record.module), record.name) == record.value


@pytest.mark.parametrize("record", FIELDS, ids=lambda record: f"{record.model}.{record.name}")
def test_model_field(record):
    field = _resolve(record.module, record.model)._meta.get_field(record.name)
    assert type(field).__name__ == record.field_class
    assert (field.related_model._meta.label if field.is_relation else None) == record.related_model


def test_every_name_the_adapter_imports_from_the_platform_is_recorded():
    recorded = {
        *((record.module, record.qualname.partition(".")[0]) for record in (*SIGNATURES, *ATTRIBUTES)),
        *((record.module, record.name) for record in CONSTANTS),
        *((record.module, record.model) for record in FIELDS),
    }
    tree = ast.parse(Path(openedx.__file__).read_text())
    imported = {
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.col_offset > 0
        for alias in node.names
    }
    assert imported
    assert imported <= recorded, imported - recorded
