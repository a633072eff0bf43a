"""The HTML report in a real browser: headless Chromium draws it, and the charts are on the
screenshot. The report is shot twice, as written and with its charts hidden (same layout,
`visibility: hidden`); the charts must account for the difference, one band of changed rows
per chart, in the runs' colours.

Skipped where Chromium is not installed (Debian: `apt-get install chromium`), unless
MENTOR_REQUIRE_BROWSER is set, as CI (.ci/run) does after installing it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from mentor_dsl.evaluation import charts, report
from mentor_dsl.evaluation.metrics import summarize
from test_evaluation import fake_result

pytest.importorskip("matplotlib")
np = pytest.importorskip("numpy")
Image = pytest.importorskip("PIL.Image")

WIDTH, HEIGHT = 1200, 4600
HIDE_CHARTS = "<style>figure.chart svg { visibility: hidden; }</style></head>"


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser():
    found = _chromium()
    if found is None:
        if os.environ.get("MENTOR_REQUIRE_BROWSER"):
            pytest.fail("MENTOR_REQUIRE_BROWSER is set but no chromium is installed")
        pytest.skip("no chromium (Debian: apt-get install chromium)")
    return found


def screenshot(browser: str, page, tmp_path, name: str):
    """The page at WIDTH x HEIGHT pixels, as an RGB array. Flags: no sandbox (CI runs as
    root), nothing fetched from the network, a fresh profile."""
    shot = tmp_path / f"{name}.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--disable-background-networking", "--disable-component-update", "--no-first-run",
                    "--disable-sync", "--hide-scrollbars", "--force-device-scale-factor=1",
                    f"--user-data-dir={tmp_path / (name + '-profile')}", f"--window-size={WIDTH},{HEIGHT}",
                    f"--screenshot={shot}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    return np.asarray(Image.open(shot).convert("RGB")).astype(int)


def bands(rows, gap: int = 24) -> list[tuple[int, int]]:
    """Runs of True rows, joined across gaps shorter than `gap` rows (inside one chart, the
    space between two rows of panels)."""
    out: list[list[int]] = []
    for y in np.flatnonzero(rows):
        if out and y - out[-1][1] <= gap:
            out[-1][1] = y
        else:
            out.append([y, y])
    return [(a, b) for a, b in out]


def _runs(tmp_path):
    """Two runs with every chart: --reward terms, OOD splits, and training run folders."""
    runs = []
    for k, (name, accuracy) in enumerate((("mentor_f1", 0.75), ("sparse", 0.25))):
        folder = tmp_path / "runs" / name
        folder.mkdir(parents=True)
        (folder / "metrics.jsonl").write_text("".join(
            json.dumps({"step": s, "reward": accuracy * s / 10, "reward/finished": 1.0,
                        "reward/tool_match": 0.03 * s * (k + 1)}) + "\n" for s in range(1, 11)))
        run = fake_result(name, accuracy, ood=accuracy / 2, reward=0.5)
        for row in run["rows"]:
            row["reward_terms"] = {"finished": 1.0, "tool_match": 0.5 * (k + 1) * row["correct"]}
        run["metrics"] = summarize(run["rows"])
        run["config"]["run_dir"] = str(folder)
        runs.append(run)
    return runs


def test_the_report_draws_its_charts_in_a_browser(browser, tmp_path):
    runs = _runs(tmp_path)
    drawn = [chart.name for chart in report.build_charts(runs)]
    assert drawn == ["accuracy", "similarity", "ood", "terms", "training"]
    page = report.write_report(runs, tmp_path / "report.html")
    hidden = tmp_path / "hidden.html"
    hidden.write_text(page.read_text().replace("</head>", HIDE_CHARTS, 1))

    shown = screenshot(browser, page, tmp_path, "shown")
    blank = screenshot(browser, hidden, tmp_path, "blank")
    assert shown.shape == blank.shape == (HEIGHT, WIDTH, 3)
    changed = np.abs(shown - blank).sum(axis=2) > 30
    # The text around the charts is where it was: only the charts differ.
    chart_rows = bands(changed.sum(axis=1) > 0)
    assert len(chart_rows) == len(drawn), chart_rows
    assert chart_rows[-1][1] < HEIGHT - 50, "the last chart runs off the screenshot"
    for top, bottom in chart_rows:
        assert bottom - top > 150  # a drawn chart, not a stray line
        assert changed[top:bottom + 1].sum() > 5000
    # In the runs' colours: each run's bars and lines are on the screen, and nowhere else.
    for hex_colour in charts.PALETTE[:2]:
        rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
        near = np.abs(shown - rgb).sum(axis=2) < 30
        assert near.sum() > 2000, hex_colour
        assert (np.abs(blank - rgb).sum(axis=2) < 30).sum() == 0
