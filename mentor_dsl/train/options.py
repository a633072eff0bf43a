"""A trainer's own options: declared when it is registered, checked before it runs.

A plugin trainer takes options of its own besides `TrainConfig`'s (which every trainer
shares) and TRL's. They live in their own namespace, `TrainConfig.trainer_options`, so
they never reach a TRL config class and never collide with TRL's names:

    mentor train --trainer dry_run --trainer-option verbose=true --trainer-option rows=5
    # or, in a --config file:  [trainer_options]  verbose = true

A trainer declares them by registering a `Trainer`:

    register(Trainer("dry_run", dry_run, options=(
        TrainerOption("verbose", bool, False, doc="print the config"),
        TrainerOption("rows", int, 3),
    )))

`resolve` checks the given options against the declaration: an unknown name is an error
with a did-you-mean, a value is converted to the option's type (command-line values come
as text), defaults are filled in, and the trainer reads `config.trainer_options["rows"]`.
A trainer registered as a plain function (`register(name, fn)`) takes no options.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import MentorError, TrainingError, did_you_mean

_TYPES = {bool: "true or false", int: "an integer", float: "a number", str: "text"}
_TRUE, _FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off")


@dataclass(frozen=True)
class TrainerOption:
    """One option of a trainer: its name, type (bool, int, float or str), default,
    allowed values (`choices`) and a line of documentation."""

    name: str
    type: type = str
    default: Any = None
    choices: tuple[Any, ...] | None = None
    doc: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise MentorError(f"trainer option {self.name!r}: the name must be an identifier")
        if self.type not in _TYPES:
            raise MentorError(f"trainer option {self.name!r}: type must be bool, int, float or str")

    def convert(self, value: Any) -> Any:
        """`value` as this option's type; ValueError saying what was expected."""
        kind = self.type
        if kind is bool:
            if isinstance(value, bool):
                out: Any = value
            elif isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
                out = value.strip().lower() in _TRUE
            else:
                raise ValueError
        elif kind is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            out = int(value.strip()) if isinstance(value, str) else int(value)
        elif kind is float:
            if isinstance(value, bool):
                raise ValueError
            out = float(value)
        else:
            if not isinstance(value, str):
                raise ValueError
            out = value
        if self.choices is not None and out not in self.choices:
            raise ValueError
        return out

    def expected(self) -> str:
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        return _TYPES[self.type]


@dataclass(frozen=True)
class Trainer:
    """A trainer and the options it declares (see the module docstring)."""

    name: str
    fn: Callable[..., Any]
    options: tuple[TrainerOption, ...] = ()
    doc: str = ""
    plugin: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise MentorError("a trainer needs a non-empty name")
        if not callable(self.fn):
            raise MentorError(f"trainer {self.name!r}: fn is not callable")
        object.__setattr__(self, "options", tuple(self.options))
        names = [o.name for o in self.options]
        if not all(isinstance(o, TrainerOption) for o in self.options) or len(set(names)) != len(names):
            raise MentorError(f"trainer {self.name!r}: options must be TrainerOption objects with distinct names")

    def __call__(self, config):
        return self.fn(config)


def declared(trainer: Any) -> tuple[TrainerOption, ...]:
    """The options a registered trainer declares (none for a plain function)."""
    return trainer.options if isinstance(trainer, Trainer) else ()


def attribute(trainer: Any, name: str) -> Any:
    """What a registered trainer declares as `fn.<name>` (`evaluate`, `trl_config`,
    `trl_arguments`): on the `Trainer` itself or on its function; None when neither has it."""
    found = getattr(trainer, name, None)
    return found if found is not None else getattr(getattr(trainer, "fn", None), name, None)


def resolve(name: str, trainer: Any, given: Mapping[str, Any]) -> dict[str, Any]:
    """The trainer's options: `given`, checked and converted, with the defaults filled in.
    Raises TrainingError naming the trainer and the option."""
    options = {o.name: o for o in declared(trainer)}
    out: dict[str, Any] = {}
    for key, value in given.items():
        option = options.get(key)
        if option is None:
            what = f"options: {', '.join(options)}" if options else "it takes none"
            raise TrainingError(
                f"trainer {name!r} has no option {key!r}{did_you_mean(key, options)} ({what}); "
                "TRL's own settings go in the config file's TRL section, not here"
            )
        try:
            out[key] = option.convert(value)
        except (TypeError, ValueError):
            raise TrainingError(f"trainer {name!r}: option {key}={value!r}: expected {option.expected()}") from None
    for option in options.values():
        out.setdefault(option.name, option.default)
    return out
