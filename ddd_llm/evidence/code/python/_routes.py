"""Python analyzer, part: health routes (FastAPI, Flask, Django, Tornado route declarations)."""

from __future__ import annotations

import ast
import re

from ddd_llm.evidence.base import is_health_path
from ddd_llm.evidence.code.python._common import (
    _DJANGO_ROUTES,
    _HEALTH_HANDLER,
    _ROUTE_CALLS,
    _ROUTE_DECORATORS,
    ReaderBase,
    _dotted,
    _keywords,
    _last_name,
    _one_line,
    _str,
)
from ddd_llm.models import HealthCheck

_PATH_PARAMETER = re.compile(
    r"<[^<>/]+>"  # Flask, Django, Sanic: `<code>`, `<uuid:code>`
    r"|\{[^{}/]+\}"  # FastAPI, Starlette, aiohttp: `{code}`
    r"|(?:^|/):[A-Za-z_]"  # `:code` (Bottle-style and framework-agnostic spellings)
    r"|\((?!\?:)[^)]*\)"  # a regex capture group: `(?P<code>…)`, Tornado's `([^/]+)`
    r"|\[[^\]]*\][*+]"  # a regex character class that matches a segment: `[0-9a-f-]+`
)
"""A route segment filled per request: such a route serves one object of the product (a check,
a user), so it is never the service's health endpoint, whatever its words say."""


def has_path_parameters(path: str) -> bool:
    """`/ping/<uuid:code>`, `/items/{id}`, `^ping/(?P<code>[^/]+)/$` → True; `/healthz` → False."""
    return bool(_PATH_PARAMETER.search(path))


def is_health_route(path: str, handler: str | None = None) -> bool:
    """A health, readiness, liveness or status endpoint by its path (or, for a decorated
    function, its name) — and never a route with path parameters."""
    if has_path_parameters(path):
        return False
    return is_health_path(path) or bool(handler and _HEALTH_HANDLER.match(handler.lower()))


class RouteReader(ReaderBase):
    """The reader's part for health routes."""

    # --- health routes -----------------------------------------------------------------

    def read_routes(self) -> None:
        for function in self.functions:
            self._route_decorators(function)
        for cls in self.classes.values():
            self._route_decorators(cls)
        self._included = self._django_includes()
        for call in self.calls:
            self._route_call(call)

    def _django_includes(self) -> dict[int, str]:
        """`path("api/v3/", include(api_urls))` with `api_urls = [path("status/", …)]` in the
        same module: line of each route in `api_urls` → the prefix it is served under (the
        last include, when a list is mounted under several: the newest API version)."""
        lists: dict[str, ast.List] = {}
        for stmt in self.tree.body:
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
                and isinstance(stmt.value, ast.List)
            ):
                lists[stmt.targets[0].id] = stmt.value
        prefixes: dict[str, str] = {}
        for call in self.calls:
            if not (isinstance(call.func, ast.Name) and call.func.id in _DJANGO_ROUTES):
                continue
            inner = call.args[1] if len(call.args) > 1 else None
            prefix = _str(call.args[0]) if call.args else None
            if (
                prefix is not None
                and isinstance(inner, ast.Call)
                and _last_name(inner.func) == "include"
                and inner.args
                and isinstance(inner.args[0], ast.Name)
                and inner.args[0].id in lists
            ):
                prefixes[inner.args[0].id] = prefix
        out: dict[int, str] = {}
        for name, prefix in prefixes.items():
            for item in lists[name].elts:
                out[id(item)] = prefix
        return out

    def _route_decorators(
        self, owner: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    ) -> None:
        for decorator in owner.decorator_list:
            if not isinstance(decorator, ast.Call):
                continue
            func = decorator.func
            method = _last_name(func)
            if method not in _ROUTE_DECORATORS:
                continue
            keywords = _keywords(decorator)
            path_node = decorator.args[0] if decorator.args else None
            for key in ("path", "rule", "url", "uri"):
                path_node = path_node or keywords.get(key)
            paths = self._string_list(path_node)
            receiver = _dotted(func.value) if isinstance(func, ast.Attribute) else None
            prefix = self.route_prefixes.get(receiver or "", "")
            for path in paths:
                if not path.startswith("/") and not (path == "" and prefix):
                    continue
                full = (prefix + path) or "/"
                if not is_health_route(full, owner.name):
                    continue
                verb = "GET" if method in ("route", "api_route", "get") else method.upper()
                self._health(full, decorator.lineno, owner.lineno, f"{verb} {full} ({owner.name})")

    def _route_call(self, call: ast.Call) -> None:
        func = call.func
        name = _last_name(func) or ""
        args = call.args
        if name.endswith("Application"):
            self._tornado(call)
            return
        if isinstance(func, ast.Name) and name in _DJANGO_ROUTES:
            if len(args) < 2 and "view" not in _keywords(call):
                return
            path = _str(args[0]) if args else None
            if path is None:
                return
            prefix = getattr(self, "_included", {}).get(id(call))
            if prefix is not None:
                path = prefix + path
            target = _django_target(path, regex=name != "path")
            view = self.segment(args[1]) if len(args) > 1 else None
            view_name = _last_name(args[1]) if len(args) > 1 else None
            if view_name == "status" and target.rstrip("/").endswith("/status"):
                # a view named for the path it serves, `status/` → `views.status`: the
                # instance's own status page, what its health probe fetches
                where = f" ({_one_line(view, 40)})" if view else ""
                end = call.end_lineno or call.lineno
                self._health(target, call.lineno, end, f"GET {target}{where}")
                return
        elif name in _ROUTE_CALLS or (
            isinstance(func, ast.Attribute)
            and _dotted(func.value) == "web"
            and name in ("get", "head", "route")
        ):
            strings = [text for text in (_str(arg) for arg in args) if text is not None]
            paths = [text for text in strings if text.startswith("/")]
            if not paths:
                return
            target = paths[0]
            if isinstance(func, ast.Attribute):
                prefix = self.route_prefixes.get(_dotted(func.value) or "", "")
                target = prefix + target
            rest = [arg for arg in args if _str(arg) is None]
            keywords = _keywords(call)
            handler = (
                keywords.get("endpoint") or keywords.get("view_func") or keywords.get("handler")
            )
            handler = rest[0] if rest else handler
            view = self.segment(handler) if handler is not None else None
        else:
            return
        if not is_health_route(target):
            return
        where = f" ({_one_line(view, 40)})" if view else ""
        self._health(target, call.lineno, call.end_lineno or call.lineno, f"GET {target}{where}")

    def _tornado(self, call: ast.Call) -> None:
        """Tornado's `Application([(r"/health", HealthHandler), ...])`."""
        handlers = call.args[0] if call.args else _keywords(call).get("handlers")
        if not isinstance(handlers, ast.List | ast.Tuple):
            return
        for item in handlers.elts:
            if not isinstance(item, ast.Tuple) or len(item.elts) < 2:
                continue
            path = _str(item.elts[0])
            if path is None or not is_health_route(path):
                continue
            target = _django_target(path, regex=True)
            view = self.segment(item.elts[1]) or ""
            end = item.end_lineno or item.lineno
            self._health(target, item.lineno, end, f"GET {target} ({_one_line(view, 40)})")

    def _health(self, target: str, start: int, end: int, what: str) -> None:
        fact = HealthCheck(
            service=None,
            summary=f"HTTP health endpoint {what}",
            citations=[self.source.cite(start, end)],
            check_type="http",
            target=target,
            port=None,
            mechanism="code-endpoint",
        )
        self.emit(fact, start, end)


def _django_target(path: str, regex: bool) -> str:
    text = path
    if regex:
        text = text.removeprefix("^").removesuffix("$").removesuffix("\\Z")
        text = text.removesuffix("/?")
    return text if text.startswith("/") else "/" + text
