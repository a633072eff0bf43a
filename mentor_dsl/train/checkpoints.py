"""Checkpoints of a training run folder (`OUTPUT_DIR/checkpoint-STEP/`)."""

from __future__ import annotations

from pathlib import Path


def latest_checkpoint(out: Path) -> Path | None:
    """The checkpoint with the highest step that holds a trainer state, if any."""
    steps = [
        (int(p.name.split("-")[1]), p)
        for p in Path(out).glob("checkpoint-*")
        if p.name.split("-")[1].isdigit() and (p / "trainer_state.json").exists()
    ]
    return max(steps)[1] if steps else None
