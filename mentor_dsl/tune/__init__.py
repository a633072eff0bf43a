"""`mentor tune`: reward parameters chosen for the student's result, not by hand.

A spec's parameters with a declared range (`param w_args = 0.2 in [0, 0.5]`) span the
search space. Each trial of an Optuna study samples them, trains a student with the
normal training machinery (the registered trainer, fewer steps), evaluates it on a
validation split that is never a test split, and reports the chosen metric; intermediate
evaluations let Optuna's pruner stop bad trials early. The study lives in a storage
(a SQLite file in the output folder by default, so a stopped study resumes; a PostgreSQL
URL lets workers on many machines share one study). The result is the best parameters
written back into the spec, and a report.

    space.py        the search space, and writing values back into a spec's text
    validation.py   the validation data (held out of training, disjoint from eval's)
    metrics.py      which metric, read from which evaluation, in which direction
    study.py        the study and the trial loop
    report.py       the report: trials, parameter importance, optimisation history

Optuna is an optional dependency (`pip install 'mentor[tune]'`); `optuna()` imports it
or says what to install.
"""

from __future__ import annotations

from ..errors import TrainingError

EXTRA = "mentor[tune]"


class TuneError(TrainingError):
    """A study that cannot start or continue (exit status 7, as training)."""


def optuna():
    """The optuna module, or a `TuneError` naming the extra that installs it."""
    try:
        import optuna as module
    except ImportError:
        raise TuneError(f"mentor tune needs Optuna, which is not installed: pip install '{EXTRA}'") from None
    return module
