"""The embedded student placed in the Hugging Face cache layout, as `hf download` leaves
a model: `HF_HOME/hub/models--ORG--NAME/snapshots/REV/` plus `refs/main`. Files are
links to the converted student, so nothing is copied."""

from __future__ import annotations

import os
from pathlib import Path

REPO = "acme/tiny-student"
REVISION = "0123456789abcdef0123456789abcdef01234567"


def place_student(hf_home: Path, repo: str = REPO, revision: str = REVISION) -> Path:
    from mentor_dsl.student import default_student_dir

    source = default_student_dir()
    folder = Path(hf_home) / "hub" / ("models--" + repo.replace("/", "--"))
    snapshot = folder / "snapshots" / revision
    snapshot.mkdir(parents=True, exist_ok=True)
    for file in source.iterdir():
        if file.name != "mentor-student.json":
            target = snapshot / file.name
            if not target.exists():
                os.symlink(file, target)
    (folder / "refs").mkdir(exist_ok=True)
    (folder / "refs" / "main").write_text(revision)
    return snapshot
