"""Build step for the reward library; the project's metadata is in pyproject.toml.

The library's one source is `rewards/` at the top of the repository (the specs, `*.mdsl`,
and their examples, `*.tests.jsonl`), where users and the docs find it. A wheel must carry
it inside the package, so building copies it to `mentor_dsl/rewards/` in the build tree,
never into the source tree. An editable install copies nothing: `mentor_dsl.library`
falls back to the repository's folder.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

LIBRARY = Path("rewards")
PACKAGE = "mentor_dsl"
PATTERNS = ("*.mdsl", "*.tests.jsonl")  # the specs and their examples (`mentor test mentor`)


class BuildWithLibrary(build_py):
    def _library(self) -> list[tuple[str, str]]:
        """(source, target) for each spec file and examples file."""
        target = Path(self.build_lib, PACKAGE, LIBRARY.name)
        files = sorted(f for pattern in PATTERNS for f in LIBRARY.glob(pattern))
        return [(str(f), str(target / f.name)) for f in files]

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        specs = self._library()
        if not specs:  # a wheel without its library is the bug this step exists to prevent
            raise SystemExit(f"error: no {LIBRARY}/*.mdsl to put in the package (is MANIFEST.in complete?)")
        self.mkpath(str(Path(specs[0][1]).parent))
        for source, target in specs:
            self.copy_file(source, target)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = super().get_outputs(include_bytecode)
        return outputs if self.editable_mode else [*outputs, *(t for _, t in self._library())]


setup(cmdclass={"build_py": BuildWithLibrary})
