"""The plugin manager and the registry it fills.

Built-in pieces and third-party plugins load the same way: each is a pluggy plugin that
implements hooks from `hookspecs`. Third-party plugins are found through the `mentor`
entry-point group. `MENTOR_PLUGINS` (comma-separated names) limits which external plugins
load; `MENTOR_PLUGINS=none` loads none of them. Built-ins always load.

`registry()` calls every hook once and returns an immutable `Registry`: the one place that
knows which tools, examples, splits, terms, formats, judges, extractors, teachers, trainers and
commands exist.

Names are global; when two registrations share one, the first wins (see `_Collector`):
implementations marked `@hookimpl(tryfirst=True)` come first, then plain ones in plugin
order (built-ins, then installed plugins sorted by entry-point name, then plugins
registered at run time), then `trylast` ones. The loser is recorded as shadowed, shown by
`mentor plugins` and announced with a `PluginWarning` naming both plugins.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, Protocol

import pluggy

from . import hookspecs
from .errors import MentorError, MentorWarning, PluginError, did_you_mean

hookimpl = pluggy.HookimplMarker("mentor")

ENTRY_POINT_GROUP = "mentor"

#: Modules that hold the built-in hook implementations, registered under these names.
BUILTIN_PLUGINS = {
    "mentor.math_tools": "mentor_dsl.tools.math",
    "mentor.splits": "mentor_dsl.data.splits",
    "mentor.code_tools": "mentor_dsl.tools.python_tool",
    "mentor.terms": "mentor_dsl.terms.builtin",
    "mentor.formats": "mentor_dsl.formats",
    "mentor.answers": "mentor_dsl.answers",
    "mentor.judges": "mentor_dsl.judges",
    "mentor.trainers": "mentor_dsl.train.plugin",
    "mentor.teachers": "mentor_dsl.teachers",
    "mentor.commands": "mentor_dsl.cli.builtin",
}

HOOKS = ("tools", "examples", "splits", "terms", "formats", "extractors", "judges", "teachers", "trainers", "commands")


@dataclass(frozen=True)
class Entry:
    """One registered thing and the plugin that registered it."""

    name: str
    value: Any
    plugin: str


class PluginWarning(MentorWarning):
    """Something about the plugins that works, but perhaps not as meant: a name that two
    plugins register, of which only one can be used."""


@dataclass(frozen=True)
class Shadowed:
    """A registration that was not used because `by` (a plugin, maybe the same one)
    registered the name first."""

    hook: str
    name: str
    by: str

    def message(self, plugin: str) -> str:
        owner = "it" if self.by == plugin else f"plugin {self.by!r}"
        return f"{self.hook[:-1]} {self.name!r} is already registered by {owner}; this one is ignored"


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str | None
    builtin: bool
    registered: Mapping[str, tuple[str, ...]]
    error: str | None = None
    #: Registrations not used because another plugin (or this one) took the name first.
    shadowed: tuple[Shadowed, ...] = ()

    @property
    def conflicts(self) -> tuple[str, ...]:
        """The shadowed registrations, as messages."""
        return tuple(s.message(self.name) for s in self.shadowed)


@dataclass(frozen=True)
class Registry:
    """Everything the plugins registered, by hook name then by item name."""

    items: Mapping[str, Mapping[str, Entry]]
    plugins: tuple[PluginInfo, ...] = ()
    errors: tuple[PluginError, ...] = ()
    fingerprint: tuple = field(default=(), compare=False)

    def get(self, hook: str, name: str) -> Any:
        entry = self.items[hook].get(name)
        return entry.value if entry is not None else None

    def names(self, hook: str) -> list[str]:
        return sorted(self.items[hook])

    def values(self, hook: str) -> list[Any]:
        return [self.items[hook][n].value for n in sorted(self.items[hook])]

    # The registry is immutable, so derived views are computed once (terms read them per row).

    @cached_property
    def tools(self) -> Mapping[str, Any]:
        return MappingProxyType({n: e.value for n, e in self.items["tools"].items()})

    @cached_property
    def terms(self) -> Mapping[str, Any]:
        return MappingProxyType({n: e.value for n, e in self.items["terms"].items()})

    @cached_property
    def _toolsets(self) -> Mapping[str, frozenset[str]]:
        groups: dict[str, set[str]] = {"all": set(self.items["tools"])}
        for name, entry in self.items["tools"].items():
            if entry.value.toolset:
                groups.setdefault(entry.value.toolset, set()).add(name)
        return MappingProxyType({k: frozenset(v) for k, v in groups.items()})

    def toolset(self, name: str) -> frozenset[str] | None:
        """Tool names of a toolset; 'all' is every registered tool."""
        return self._toolsets.get(name)

    def toolsets(self) -> list[str]:
        return sorted(self._toolsets)


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _tags(value: Any) -> bool:
    return value is None or (isinstance(value, tuple) and len(value) == 2 and all(map(_text, value)))


#: The optional members of a call format (hookspecs.CallFormat): a check of each, and what
#: its error says it must be. A wrong one would only fail later, inside a rollout.
_FORMAT_OPTIONAL: dict[str, tuple[Callable[[Any], bool], str]] = {
    "stop_text": (lambda v: v is None or _text(v), "a non-empty string or None"),
    "end_tokens": (lambda v: isinstance(v, tuple) and all(map(_text, v)), "a tuple of non-empty strings"),
    "call_tags": (_tags, "an (open, close) tuple of non-empty strings, or None"),
    "response_tags": (_tags, "an (open, close) tuple of non-empty strings, or None"),
}


class _Named(Protocol):
    """What the classes in `_BUILT` have in common: the name an item is registered under."""

    name: str


def _kind(module: str, name: str) -> Callable[[], type[_Named]]:
    def load() -> type[_Named]:
        import importlib

        return getattr(importlib.import_module(module, __package__), name)

    return load


#: Hooks that register objects of one class (passed built, or built from the arguments).
_BUILT: dict[str, Callable[[], type[_Named]]] = {
    "tools": _kind(".tools.base", "Tool"),
    "terms": _kind(".terms.base", "Term"),
    "examples": _kind(".fewshot", "Example"),
    "splits": _kind(".data.splits", "SplitSpec"),
    "trainers": _kind(".train.options", "Trainer"),
}


def _item_name(hook: str, args: tuple, kwargs: dict) -> tuple[str, Any]:
    """Normalise the arguments of a `register` call to (name, value)."""
    if hook in _BUILT:
        kind = _BUILT[hook]()
        if len(args) == 1 and not kwargs and isinstance(args[0], kind):
            return args[0].name, args[0]
        return _item_name_build(kind, args, kwargs)
    if hook in ("formats", "commands"):
        if len(args) != 1 or kwargs:
            what = "a call format" if hook == "formats" else "a click.Command"
            raise MentorError(f"register() takes one argument here, {what}")
        (value,) = args
        if hook == "formats":
            for attr in ("name", "parse", "render", "instructions"):
                if not hasattr(value, attr):
                    raise MentorError(f"a call format needs a {attr!r} attribute")
            for attr in ("parse", "render", "instructions"):
                if not callable(getattr(value, attr)):
                    raise MentorError(f"a call format's {attr!r} must be callable")
            if not isinstance(value.name, str) or not value.name:
                raise MentorError("a call format's name must be a non-empty string")
            for attr, (valid, what) in _FORMAT_OPTIONAL.items():
                if hasattr(value, attr) and not valid(getattr(value, attr)):
                    raise MentorError(f"a call format's {attr!r} must be {what}")
            return value.name, value
        import click

        if not isinstance(value, click.Command):
            raise MentorError("register_commands expects a click.Command")
        if not value.name:
            raise MentorError("a command needs a name")
        return value.name, value
    kwargs = dict(kwargs)
    if len(args) > 2:
        raise MentorError("register() takes (name, fn)")
    name = args[0] if args else kwargs.pop("name", None)
    value = args[1] if len(args) == 2 else (kwargs.pop("fn", None) or kwargs.pop("factory", None))
    if kwargs:
        raise MentorError(f"register() got unexpected keyword argument(s): {', '.join(sorted(kwargs))}")
    if value is None:
        raise MentorError("register() takes (name, fn)")
    if not isinstance(name, str) or not name:
        raise MentorError("register(name, fn) needs a non-empty name")
    if not callable(value):
        raise MentorError(f"{name!r}: the registered object is not callable")
    return name, value


def _item_name_build(kind, args, kwargs):
    try:
        item = kind(*args, **kwargs)
    except TypeError as exc:
        raise MentorError(f"bad {kind.__name__} definition: {exc}") from None
    return item.name, item


def _unknown_hooks(pm: pluggy.PluginManager, plugin: object) -> list[str]:
    """Hook implementations of `plugin` that match no hook (`register_tool` for
    `register_tools`): pluggy accepts them silently, so they would never be called."""
    return sorted(c.name for c in (pm.get_hookcallers(plugin) or []) if not c.has_spec())


#: Where an implementation's registrations stand: tryfirst ones first, trylast ones last.
_RANK = {"tryfirst": 0, None: 1, "trylast": 2}


class _Collector:
    """Calls every hook plugin by plugin, so each registration is attributed to its plugin.

    All-or-nothing: every hook of every plugin is called first; a plugin whose hook raised
    (or that registered something invalid) is dropped entirely. Only then are the other
    plugins' registrations entered, in `_ordered` order, so the first registration of a
    name wins and a dropped plugin never blocks another plugin's item.
    """

    def __init__(self, pm: pluggy.PluginManager):
        self.pm = pm
        self.items: dict[str, dict[str, Entry]] = {h: {} for h in HOOKS}
        self.errors: list[PluginError] = []
        self.by_plugin: dict[str, dict[str, list[str]]] = {}
        self.failed: dict[str, str] = {}
        self.shadowed: dict[str, list[Shadowed]] = {}

    def _ordered(self, caller: Any) -> list[Any]:
        """A hook's implementations in the order their registrations are entered: tryfirst,
        plain, trylast, each in plugin order. (pluggy's own list puts trylast first and
        tryfirst last, the order it calls them in reverse; read forwards, it inverted both.)"""
        position = {plugin: i for i, (_, plugin) in enumerate(self.pm.list_name_plugin())}

        def rank(impl: Any) -> tuple[int, int]:
            mark = "tryfirst" if impl.tryfirst else "trylast" if impl.trylast else None
            return _RANK[mark], position.get(impl.plugin, len(position))

        return sorted(caller.get_hookimpls(), key=rank)

    def collect(self) -> None:
        for name, plugin in self.pm.list_name_plugin():
            unknown = _unknown_hooks(self.pm, plugin)
            if unknown:
                specs = [f"register_{h}" for h in HOOKS]
                hints = "".join(did_you_mean(u, specs) for u in unknown[:1])
                self._fail(
                    name,
                    PluginError(name, f"unknown hook{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}{hints}"),
                )
        pending: list[tuple[str, str, list[Entry]]] = []
        for hook in HOOKS:
            caller = getattr(self.pm.hook, f"register_{hook}")
            for impl in self._ordered(caller):
                plugin = self.pm.get_name(impl.plugin) or repr(impl.plugin)
                if plugin in self.failed:
                    continue
                entries: list[Entry] = []

                def register(*args, _hook=hook, _plugin=plugin, _entries=entries, **kwargs):
                    try:
                        name, value = _item_name(_hook, args, kwargs)
                    except MentorError as exc:
                        error = PluginError(_plugin, f"register_{_hook}: {exc}")
                        self._fail(_plugin, error)  # even if the hook catches the exception
                        raise error from None
                    _entries.append(Entry(name, value, _plugin))

                try:
                    impl.function(register)
                except PluginError as exc:
                    self._fail(plugin, exc)
                    continue
                except MentorError as exc:  # e.g. a ToolError from building a Tool in the hook
                    self._fail(plugin, PluginError(plugin, f"register_{hook}: {exc}"))
                    continue
                except Exception as exc:  # a plugin's bug must not take the others down
                    self._fail(plugin, PluginError(plugin, f"register_{hook} raised {type(exc).__name__}: {exc}"))
                    continue
                pending.append((hook, plugin, entries))
        for hook, plugin, entries in pending:
            if plugin not in self.failed:
                self._accept(hook, plugin, entries)

    def _accept(self, hook: str, plugin: str, entries: list[Entry]) -> None:
        table = self.items[hook]
        for entry in entries:
            other = table.get(entry.name)
            if other is not None:
                shadowed = Shadowed(hook, entry.name, other.plugin)
                self.errors.append(PluginError(plugin, shadowed.message(plugin)))
                self.shadowed.setdefault(plugin, []).append(shadowed)
                if other.plugin != plugin:
                    warnings.warn(
                        PluginWarning(
                            f"{hook[:-1]} {entry.name!r} is registered by plugin {other.plugin!r} and by plugin "
                            f"{plugin!r}; the one from {other.plugin!r} is used, the one from {plugin!r} is shadowed "
                            "(see `mentor plugins`)"
                        ),
                        stacklevel=2,
                    )
                continue
            value = entry.value
            if hasattr(value, "plugin") and getattr(value, "plugin", None) is None:
                try:
                    object.__setattr__(value, "plugin", plugin)
                except (AttributeError, TypeError):
                    pass
            table[entry.name] = entry
            self.by_plugin.setdefault(plugin, {}).setdefault(hook, []).append(entry.name)

    def _fail(self, plugin: str, error: PluginError) -> None:
        """Record why a plugin failed; nothing it registered will be entered."""
        if plugin in self.failed:
            return
        self.errors.append(error)
        self.failed[plugin] = error.message


_lock = threading.RLock()
_manager: pluggy.PluginManager | None = None
_registry: Registry | None = None
_load_errors: list[PluginError] = []
_versions: dict[str, str | None] = {}


def _allowed_plugins() -> set[str] | None:
    raw = os.environ.get("MENTOR_PLUGINS")
    if raw is None:
        return None
    raw = raw.strip()
    if raw.lower() in ("", "none"):
        return set()
    return {p.strip() for p in raw.split(",") if p.strip()}


def _new_manager() -> pluggy.PluginManager:
    import importlib

    pm = pluggy.PluginManager("mentor")
    pm.add_hookspecs(hookspecs)
    for name, module in BUILTIN_PLUGINS.items():
        pm.register(importlib.import_module(module), name=name)
    allowed = _allowed_plugins()
    seen: dict[str, str] = {}
    # By name, so which of two clashing plugins wins never depends on how they were found.
    for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
        if allowed is not None and ep.name not in allowed:
            continue
        if ep.name in seen or pm.has_plugin(ep.name):
            if seen.get(ep.name) != ep.value:  # two distributions claim one plugin name
                _load_errors.append(
                    PluginError(
                        ep.name,
                        f"the name is taken (by {seen.get(ep.name) or 'a built-in'!r}); {ep.value!r} is not loaded",
                    )
                )
            continue
        seen[ep.name] = ep.value
        dist = getattr(ep, "dist", None)
        _versions[ep.name] = getattr(dist, "version", None)
        try:
            plugin = ep.load()
        except Exception as exc:  # the plugin's import failed: report it, load the rest
            _load_errors.append(PluginError(ep.name, f"failed to load {ep.value!r}: {type(exc).__name__}: {exc}"))
            continue
        try:
            pm.register(plugin, name=ep.name)
        except Exception as exc:
            _load_errors.append(PluginError(ep.name, f"cannot be registered: {_validation_message(exc)}"))
    for name in sorted((allowed or set()) - set(seen)):
        _load_errors.append(
            PluginError(
                name, f"named in MENTOR_PLUGINS but not installed (no {ENTRY_POINT_GROUP!r} entry point has this name)"
            )
        )
    return pm


def _validation_message(exc: Exception) -> str:
    """pluggy's PluginValidationError on one line (it names the hook and the bad arguments)."""
    text = " ".join(str(exc).split("\n")[1:]) if isinstance(exc, pluggy.PluginValidationError) else ""
    return text or f"{type(exc).__name__}: {exc}"


def get_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager. Loading is idempotent."""
    global _manager
    with _lock:
        if _manager is None:
            _manager = _new_manager()
        return _manager


def registry() -> Registry:
    """The current registry, built once and rebuilt only after `register`/`unregister`."""
    global _registry
    with _lock:
        if _registry is None:
            _registry = _build_registry(get_manager())
        return _registry


def _build_registry(pm: pluggy.PluginManager) -> Registry:
    collector = _Collector(pm)
    collector.collect()
    infos = []
    for name, _plugin in pm.list_name_plugin():
        builtin = name in BUILTIN_PLUGINS
        registered = {h: tuple(v) for h, v in collector.by_plugin.get(name, {}).items()}
        infos.append(
            PluginInfo(
                name,
                _versions.get(name),
                builtin,
                registered,
                collector.failed.get(name),
                tuple(collector.shadowed.get(name, ())),
            )
        )
    for err in _load_errors:
        infos.append(PluginInfo(err.plugin, _versions.get(err.plugin), False, {}, err.message))
    items = {h: MappingProxyType(dict(t)) for h, t in collector.items.items()}
    fingerprint = tuple((h, n, e.plugin, id(e.value)) for h in HOOKS for n, e in sorted(collector.items[h].items()))
    return Registry(MappingProxyType(items), tuple(infos), tuple(_load_errors) + tuple(collector.errors), fingerprint)


def register(plugin: object, name: str | None = None) -> str:
    """Register a plugin object at run time (tests, notebooks). Returns its name."""
    global _registry
    with _lock:
        pm = get_manager()
        try:
            registered = pm.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(name or repr(plugin), f"cannot be registered: {_validation_message(exc)}") from None
        except ValueError as exc:  # the name (or the object) is already registered
            raise PluginError(name or repr(plugin), str(exc)) from None
        _registry = None
        return registered or name or ""


def unregister(plugin: object | None = None, name: str | None = None) -> None:
    global _registry
    with _lock:
        get_manager().unregister(plugin=plugin, name=name)
        _registry = None


def reset() -> None:
    """Forget the manager; the next call reloads built-ins and entry points."""
    global _manager, _registry
    with _lock:
        _manager = None
        _registry = None
        _load_errors.clear()
        _versions.clear()
