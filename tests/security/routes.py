"""Every route of the URLconf, as the access matrix (test_access_matrix.py) requests it.

`routes()` walks `get_resolver()`; each route is named by its normalised pattern (`api/v1/incidents/<pk>/`),
which is what the expectations table (access.py) matches. `Route.url()` fills the path's arguments from a
world of demo data, so requests reach the view's real permission checks rather than a 404 for a missing row."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse

_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>(?:[^()]|\([^()]*\))*)\)")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
_VERBS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    route: str  # normalised: "api/v1/incidents/<pk>/"
    name: str  # for reverse(), with its namespaces
    methods: tuple[str, ...]  # lower case, as the view declares them
    choices: tuple[tuple[str, str], ...]  # a value for each regex group with alternatives (transitions)
    model_label: str  # the admin's model pages: "incidents.incident"; "" elsewhere

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")

    def kwargs(self, world: dict[str, Any]) -> dict[str, Any]:
        names = _CONVERTER.findall(self.route)
        values: dict[str, Any] = dict(self.choices)
        for name in names:
            if name in values:
                continue
            values[name] = world["kwarg"](self, name)
        return values

    def url(self, world: dict[str, Any]) -> str:
        return reverse(self.name, kwargs=self.kwargs(world))


def _normalise(pattern: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    choices = []
    for match in _GROUP.finditer(pattern):
        body = match.group("body")
        if "|" in body and "[" not in body:
            choices.append((match.group("name"), body.split("|")[0]))
    text = _GROUP.sub(lambda m: f"<{m.group('name')}>", pattern)
    text = _CONVERTER.sub(lambda m: f"<{m.group(1)}>", text)
    text = text.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")
    return text, tuple(choices)


def _methods(callback: Any) -> tuple[str, ...]:
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF view set's route: the verbs the router bound
        return tuple(verb for verb in _VERBS if verb in actions)
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is not None:
        return tuple(verb for verb in _VERBS if hasattr(view_class, verb))
    allowed = getattr(callback, "vigil_methods", None)
    return tuple(allowed) if allowed else ("get",)


def _walk(patterns: list, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif pattern.name:
            yield prefix + str(pattern.pattern), namespace + pattern.name, pattern
        elif namespace == "admin:":
            continue  # the admin's old-style object URL, a redirect to the named change page
        else:
            raise AssertionError(
                f"{prefix}{pattern.pattern} has no name: the access matrix reverses routes by name"
            )


def routes() -> list[Route]:
    found = []
    seen = set()
    for raw, name, pattern in _walk(get_resolver().url_patterns):
        route, choices = _normalise(raw)
        # Format suffixes and duplicate names (a route mounted twice) are one route for the matrix.
        if route in seen:
            continue
        seen.add(route)
        model_label = ""
        admin_site = getattr(pattern.callback, "admin_site", None) or name.startswith("admin:")
        if admin_site:
            match = re.match(r"admin:(\w+?)_(\w+)_(changelist|add|change|delete|history|\w+)$", name)
            if match:
                for app_label in {config.label for config in apps.get_app_configs()}:
                    if name.startswith(f"admin:{app_label}_"):
                        model_name = name[len(f"admin:{app_label}_") :].rsplit("_", 1)[0]
                        try:
                            apps.get_model(app_label, model_name)
                        except LookupError:
                            continue
                        model_label = f"{app_label}.{model_name}"
        found.append(Route(route, name, _methods(pattern.callback), choices, model_label))
    return found
