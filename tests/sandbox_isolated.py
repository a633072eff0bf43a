"""Run a piece of the sandbox in a fresh interpreter, as the sandboxed child runs it.

`isolated(code)` starts `python -S -s`, imports the sandbox folder under the child's package
name (standard library only, no mentor_dsl), runs `code` and returns the dict it leaves in
`out`; `attempt(name, fn)` there records "ok" or the errno fn failed with. A layer applied
there changes that process only, never the test runner.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from mentor_dsl.tools.sandbox import child, parent

# json first: after a layer closes the file system, the standard library may be out of reach.
PRELUDE = (f"import json, sys\np = type(sys)({child.PACKAGE!r})\np.__path__ = [{parent._HERE!r}]\n"
           f"sys.modules[{child.PACKAGE!r}] = p\nout = {{}}\n"
           # attempt(name, fn): out[name] is "ok", or the errno of the OSError fn raised.
           "def attempt(name, fn):\n"
           "    try:\n        fn()\n        out[name] = 'ok'\n"
           "    except OSError as exc:\n        out[name] = exc.errno\n")


def isolated(*code: str, modules: str = "", **values: object) -> dict:
    """Run the pieces of `code` in a fresh stdlib-only interpreter, with the sandbox
    `modules` (names, comma-separated) imported and `values` bound as globals."""
    bindings = "".join(f"{name} = {value!r}\n" for name, value in values.items())
    if modules:
        bindings += f"from {child.PACKAGE} import {modules}\n"
    script = PRELUDE + bindings + "".join(textwrap.dedent(part) for part in code) + "\nprint(json.dumps(out))\n"
    proc = subprocess.run([sys.executable, "-S", "-s", "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])
