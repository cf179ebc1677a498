"""Registries of retrieval (``retrieve_*``) and generation (``generate_*``) functions.

Functions are found by reflection in the built-in modules and through installed packages'
entry points. The database stores the registry key (the function name without its prefix),
so moving a function to another module never breaks a stored configuration.
"""

import importlib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from django.utils.translation import gettext

from .exceptions import ConfigurationError, InvalidOptions, UnknownFunction
from .problems import expected_kinds, json_kind, names, option_sentence, shown

REQUIRED = object()


class OptionProblem(ValueError):
    """A validator's refusal as a sentence: ``%(name)s`` stands for the option, other placeholders for ``params``."""

    def __init__(self, sentence: str = "", **params: Any):
        self.sentence, self.params = sentence, params
        super().__init__(sentence)


@dataclass(frozen=True)
class Option:
    """Declaration of one option a registered function accepts."""

    types: type | tuple[type, ...]
    default: Any = REQUIRED
    help: str = ""
    # Called with the value; raises OptionProblem (or ValueError with a readable message) when it is wrong.
    validator: Callable[[Any], None] | None = None
    # The value is the slug of a CredentialAsset of this kind (checked against the database on save).
    asset_kind: str | None = None
    # For nested values: yields (option path, asset slug, asset kind) for every asset the value names.
    asset_refs: Callable[[Any], Iterable[tuple[str, str, str]]] | None = None
    # What a right value is, in words ("a number between 0 and 100"); else the accepted kinds are named.
    expects: Any = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def check(self, name: str, value: Any) -> None:
        """Raise ValueError whose message is one sentence naming the option: what is wrong, in words."""
        types = self.types if isinstance(self.types, tuple) else (self.types,)
        accepted = types + ((int,) if float in types else ())
        # bool is an int in Python; an option typed int or float must not accept True.
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, accepted):
            raise ValueError(self.expected_sentence(name))
        if not self.validator:
            return
        try:
            self.validator(value)
        except OptionProblem as exc:
            raise ValueError((exc.sentence or self.expected_sentence(name)) % {"name": name, **exc.params}) from None
        except ValueError as exc:
            raise ValueError(option_sentence(name, str(exc))) from None

    def expected_sentence(self, name: str) -> str:
        return gettext("%(name)s must be %(expected)s.") % {
            "name": name,
            "expected": self.expects or expected_kinds(self.types),
        }


def declare_options(**options: Option) -> Callable[[Callable], Callable]:
    """Attach the option declarations a retrieval or generation function accepts."""

    def decorator(func: Callable) -> Callable:
        func.options = options
        return func

    return decorator


def function_options(func: Callable) -> dict[str, Option]:
    return getattr(func, "options", {})


def resolve_options(func: Callable, options: dict[str, Any]) -> dict[str, Any]:
    """Return the options ``func`` declares, defaults filled in; other keys are dropped."""
    resolved = {}
    for name, option in function_options(func).items():
        if name in options:
            resolved[name] = options[name]
        elif not option.required:
            resolved[name] = option.default
    return resolved


def not_an_object(options: Any) -> str | None:
    """Why ``options`` cannot be options at all (a list, a string, ...), before anything merges or reads them."""
    if isinstance(options, dict):
        return None
    return gettext("The options must be a JSON object (in braces), not %(kind)s.") % {"kind": json_kind(options)}


def validate_options(funcs: Iterable[Callable], options: Any, *, partial: bool = False) -> None:
    """Raise InvalidOptions naming each wrong key: unknown, missing, of the wrong type or value.

    ``funcs`` share one options dict (a configuration's merged options serve both its
    retrieval and its generation function), so a key is known when any of them declares it.
    ``partial`` waives required keys: a type's defaults may leave them to each configuration.
    """
    if problem := not_an_object(options):
        raise InvalidOptions(errors={"options": [problem]})
    declared: dict[str, Option] = {}
    for func in funcs:
        declared.update(function_options(func))
    errors: dict[str, list[str]] = {}
    for key in options:
        if key not in declared:
            problem = gettext("There is no option '%(name)s'; the accepted options are: %(accepted)s.")
            errors.setdefault(key, []).append(problem % {"name": shown(key), "accepted": names(declared)})
    for key, option in declared.items():
        if key not in options:
            if option.required and not partial:
                errors.setdefault(key, []).append(gettext("%(name)s is required.") % {"name": key})
            continue
        try:
            option.check(key, options[key])
        except ValueError as exc:
            errors.setdefault(key, []).append(str(exc))
    if errors:
        raise InvalidOptions(errors=errors)


def asset_references(funcs: Iterable[Callable], options: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Every asset the options name, top-level or nested: {option path: (slug, asset kind)}.

    Call it on validated options: nested extractors expect the declared shapes.
    """
    references = {}
    for func in funcs:
        for name, option in function_options(func).items():
            value = options.get(name)
            if option.asset_kind and isinstance(value, str):
                references[name] = (value, option.asset_kind)
            if option.asset_refs and value is not None:
                references.update({path: (slug, kind) for path, slug, kind in option.asset_refs(value)})
    return references


def deep_merge(base: dict, override: dict) -> dict:
    """Merge ``override`` over ``base``; nested objects merge key by key, other values replace."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class Registry:
    """Functions of one kind, by key, from built-in modules and an entry-point group."""

    def __init__(self, *, prefix: str, modules: tuple[str, ...], group: str):
        self.prefix = prefix
        self.modules = modules
        self.group = group
        self._functions: dict[str, Callable] | None = None
        self._registered: dict[str, Callable] = {}

    def register(self, key: str, func: Callable) -> None:
        """Add a function by key: for an optional sub-app, which registers its functions only while installed."""
        self._add(self._registered, key, func, origin=func.__module__)
        self._functions = None

    def _discover(self) -> dict[str, Callable]:
        functions: dict[str, Callable] = {}
        for module_name in self.modules:
            self._add_module(functions, importlib.import_module(module_name), origin=module_name)
        for entry_point in entry_points(group=self.group):
            loaded = entry_point.load()
            if inspect.ismodule(loaded):
                self._add_module(functions, loaded, origin=entry_point.value)
            elif callable(loaded):
                self._add(functions, entry_point.name, loaded, origin=entry_point.value)
            else:
                raise ConfigurationError(f"Entry point {entry_point.value} is neither a module nor a function.")
        for key, func in self._registered.items():
            self._add(functions, key, func, origin=func.__module__)
        return functions

    def _add_module(self, functions: dict[str, Callable], module, *, origin: str) -> None:
        for name, func in inspect.getmembers(module, inspect.isfunction):
            if name.startswith(self.prefix) and func.__module__ == module.__name__:
                self._add(functions, name.removeprefix(self.prefix), func, origin=origin)

    def _add(self, functions: dict[str, Callable], key: str, func: Callable, *, origin: str) -> None:
        if key in functions and functions[key] is not func:
            raise ConfigurationError(f"Two {self.prefix}* functions are registered as '{key}' (one from {origin}).")
        functions[key] = func

    @property
    def functions(self) -> dict[str, Callable]:
        if self._functions is None:
            self._functions = self._discover()
        return self._functions

    def clear_cache(self) -> None:
        self._functions = None

    def keys(self) -> list[str]:
        return sorted(self.functions)

    def get(self, key: str) -> Callable:
        try:
            return self.functions[key]
        except KeyError:
            raise UnknownFunction(
                f"'{key}' is not a registered {self.prefix}* function; registered: {', '.join(self.keys()) or 'none'}."
            ) from None

    def choices(self) -> list[tuple[str, str]]:
        return [(key, key.replace("_", " ").capitalize()) for key in self.keys()]


# Invalidation reason categories optional sub-apps contribute (key -> public label), beside the
# built-in ones and LEARNING_CREDENTIALS['EXTRA_INVALIDATION_REASONS'] (selectors.invalidation_reasons).
contributed_invalidation_reasons: dict[str, Any] = {}


def register_invalidation_reason(key: str, label: Any) -> None:
    """Let a sub-app invalidate credentials for a reason of its own; ``label`` (lazy text) is shown publicly."""
    contributed_invalidation_reasons[key] = label


# Models of optional sub-apps whose rows hold public verification codes beside credentials (model, field):
# codes stay unique across all of them (services.codes), so a code names one thing everywhere.
code_holders: list[tuple[type, str]] = []


def register_code_holder(model: type, field: str) -> None:
    if (model, field) not in code_holders:
        code_holders.append((model, field))


@dataclass(frozen=True)
class ExportColumn:
    """A column a sub-app adds to credential exports: its header and, per batch, the values of the batch."""

    key: str
    label: Any
    # Called once per batch with its credentials (a list): {credential pk: text}; absent ones are empty.
    values: Callable[[list], dict]


# Columns optional sub-apps add to CSV exports (services.exports), in the order they registered.
export_columns: dict[str, ExportColumn] = {}


def register_export_column(key: str, label: Any, values: Callable[[list], dict]) -> None:
    """Add a column to CSV exports (e.g. the credits a credential carries); idempotent by key."""
    export_columns[key] = ExportColumn(key=key, label=label, values=values)


retrieval_functions = Registry(
    prefix="retrieve_",
    modules=("learning_credentials.eligibility.builtin",),
    group="learning_credentials.retrieval",
)
generation_functions = Registry(
    prefix="generate_",
    modules=("learning_credentials.rendering.builtin",),
    group="learning_credentials.generation",
)
