"""comind_scaffold._files: the one atomic write every module uses."""

from __future__ import annotations

import stat
from pathlib import Path

from comind_scaffold._files import write_atomic


def test_the_new_content_replaces_the_old_and_no_partial_is_left(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_text("old")
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_a_mode_holds_even_over_a_stale_partial_of_another_mode(tmp_path: Path) -> None:
    target = tmp_path / "credentials.yaml"
    stale = tmp_path / ".credentials.yaml.partial"
    stale.write_text("left by a crash")
    stale.chmod(0o644)
    write_atomic(target, "secret: x\n", mode=0o600)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text() == "secret: x\n"
