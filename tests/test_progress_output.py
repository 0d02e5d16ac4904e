"""The seeding progress where people read it: a bar drawn in place in a real terminal (tmux,
at 60 and 120 columns), and heartbeat lines in a pipe, as a CI log gets them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import CLEAN_ENV, TOOLKIT, Project
from toolkit.cli.output import SeedProgress
from toolkit.seed.report import Progress

HEARTBEAT = re.compile(r"^users: [\d,]+ / 20,000 rows \(\d{1,2}%\), [\d,]+ rows/s, ETA \S+$")
FINAL = re.compile(r"^users: 20,000 rows in \d+\.\ds, [\d,]+ rows/s$")


def test_a_pipe_gets_a_heartbeat_line_every_interval_and_a_last_line(project: Project) -> None:
    assert project.run("migrate").returncode == 0
    result = project.run(
        "seed", "--model", "User=20000", "--batch-size", "500", env={"TOOLKIT_HEARTBEAT_SECONDS": "0.01"}
    )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    print(result.stderr)
    assert "\r" not in result.stderr and "\x1b" not in result.stderr
    assert len(lines) >= 2, lines
    assert all(HEARTBEAT.match(line) for line in lines[:-1]), lines
    assert FINAL.match(lines[-1]), lines
    assert result.stdout.startswith("Seeded 20000 rows")


@pytest.mark.parametrize("args", [("-q",), ("--json",)])
def test_quiet_and_json_print_no_progress_in_a_pipe(project: Project, args: tuple[str, ...]) -> None:
    assert project.run("migrate").returncode == 0
    result = project.run(
        "seed", *args, "--model", "User=5000", "--batch-size", "500", env={"TOOLKIT_HEARTBEAT_SECONDS": "0"}
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    if "--json" in args:
        assert json.loads(result.stdout)["rows"] == 5000


def test_heartbeats_are_spaced_by_the_interval(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    clock = iter([100.0, 101.0, 103.0, 106.0, 107.0, 111.0])
    monkeypatch.setattr(time, "monotonic", lambda: next(clock))
    with SeedProgress(True, terminal=False, interval=5) as progress:  # its turn begins at 100
        for done in (10, 30, 60, 70, 110):  # at 101, 103, 106, 107, 111
            progress(Progress("users", done, 200))
    # 106 is 5 s after the turn began, 111 is 5 s after 106; the run ends short of 200.
    assert capsys.readouterr().err.splitlines() == [
        "users: 60 / 200 rows (30%), 10 rows/s, ETA 14s",
        "users: 110 / 200 rows (55%), 10 rows/s, ETA 9s",
        "users: stopped at 110 / 200 rows (55%)",
    ]


# --- a real terminal ----------------------------------------------------------------


class Tmux:
    """A tmux server of the test's own (its own socket), one pane of a given size."""

    def __init__(self, folder: Path, width: int, height: int) -> None:
        self.folder, self.width = folder, width
        self.socket = folder / "tmux.sock"
        self.env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV and k != "TMUX"}
        self.env.update(LANG="C.UTF-8", LC_ALL="C.UTF-8")
        self.height = height

    def __call__(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-u", "-S", str(self.socket), "-f", "/dev/null", *args],
            env=self.env, capture_output=True, text=True, timeout=30,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start(self, root: Path, command: str) -> None:
        # The command waits for `go`, so that pipe-pane records its output from the first byte.
        script = root / "run.sh"
        script.write_text(
            f"trap : INT\ncd {root}\nwhile [ ! -e go ]; do sleep 0.02; done\n{command}\necho __DONE__ $?\nsleep 600\n"
        )
        self("new-session", "-d", "-s", "t", "-x", str(self.width), "-y", str(self.height), f"sh {script}")
        self("pipe-pane", "-t", "t", "-o", f"cat > {self.folder / 'raw.log'}")
        (root / "go").touch()

    def screen(self, history: bool = False) -> list[str]:
        """The pane's lines, wrapped lines joined (-J): one longer than the pane wrapped."""
        return self("capture-pane", "-p", "-J", "-t", "t", *(["-S", "-"] if history else [])).splitlines()

    def wait_for(self, pattern: str, timeout: float = 60) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.screen()
            if any(re.search(pattern, line) for line in lines):
                return lines
            time.sleep(0.03)
        raise AssertionError(f"{pattern!r} never showed; the pane: {self.screen(history=True)}")

    def raw(self) -> str:
        return (self.folder / "raw.log").read_bytes().decode(errors="replace")


@pytest.fixture
def tmux_at(tmp_path: Path) -> Iterator[Callable[[int], Tmux]]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed: these tests need a real terminal (apt-get install tmux)")
    made: list[Tmux] = []

    def make(width: int, height: int = 20) -> Tmux:
        folder = tmp_path / f"tmux{width}"
        folder.mkdir()
        made.append(Tmux(folder, width, height))
        return made[-1]

    yield make
    for tmux in made:
        subprocess.run(["tmux", "-S", str(tmux.socket), "kill-server"], capture_output=True, timeout=30)


def _seed(rows: int) -> str:
    return f"{TOOLKIT} seed --model User={rows} --batch-size 1000"


@pytest.mark.serial  # the frames it captures depend on timing: no test beside it
@pytest.mark.parametrize("width", [60, 120])
def test_the_bar_fits_the_terminal_and_is_drawn_in_place(
    project: Project, tmux_at: Callable[[int], Tmux], width: int
) -> None:
    assert project.run("migrate").returncode == 0
    tmux = tmux_at(width)
    tmux.start(project.root, _seed(150_000))
    during = tmux.wait_for(r"rows/s ETA")
    after = tmux.wait_for(r"^__DONE__")
    history = tmux.screen(history=True)
    print(f"--- {width} columns, while seeding:", *during, f"--- {width} columns, at the end:", *history, sep="\n")

    # The progress fits; the summary is plain text, one line for grep, which a pane may wrap.
    progress = [line for line in during + history if not line.startswith("Seeded ")]
    assert [line for line in progress if len(line.rstrip()) > width] == []
    bars = [line for line in during if "ETA" in line]
    assert len(bars) == 1 and re.match(r"^users [━╸╺]+ [\d,]+/150,000 rows", bars[0]), during
    assert "__DONE__ 0" in after
    # Nothing scrolled: the whole history holds the table's last line and the summary, no bar.
    shown = [line for line in history if line.strip()]
    assert len(shown) == 3, shown
    assert re.match(r"^users: 150,000 rows in \d+\.\ds, [\d,]+ rows/s$", shown[0])
    assert shown[1].startswith("Seeded 150000 rows")
    # ...though the bar was drawn again and again, on its one line.
    raw = tmux.raw()
    assert raw.count("ETA") >= 3
    assert raw.count("\n") <= 4, raw


@pytest.mark.serial
def test_an_interrupted_seed_says_so_on_a_line_of_its_own(project: Project, tmux_at: Callable[[int], Tmux]) -> None:
    assert project.run("migrate").returncode == 0
    tmux = tmux_at(80)
    tmux.start(project.root, _seed(2_000_000))
    tmux.wait_for(r"rows/s ETA")
    tmux("send-keys", "-t", "t", "C-c")
    tmux.wait_for(r"^__DONE__")
    shown = [line for line in tmux.screen(history=True) if line.strip()]
    print("--- 80 columns, Ctrl-C:", *shown, sep="\n")
    assert not any("ETA" in line for line in shown), shown  # the bar is gone, ^C with it
    assert re.match(r"^users: stopped at [\d,]+ / 2,000,000 rows \(\d+%\)$", shown[0]), shown
    assert shown[1].startswith("Interrupted: "), shown
    assert shown[-1] == "__DONE__ 130"
