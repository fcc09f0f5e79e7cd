"""comind in a user's hands: the wheel installed into a fresh venv, templates from a versioned git source.

Nothing here uses this checkout at run time: the wheel is built from a copy of it, installed into a venv outside
the repository, and the templates are served from a bare git repository (`file://`) with release tags, as a
teammate or CI would reach the public repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from comind_scaffold.template_source import PUBLIC_SOURCE
from tests.helpers_scaffold import GIT_IDENTITY, REPO_ROOT, commit_all, git

pytestmark = pytest.mark.slow
VERSION = yaml.safe_load((REPO_ROOT / "templates/app/release.yml").read_text())["comind_release"]["default"]


def _tracked_copy(dest: Path) -> Path:
    """This checkout's files as git sees them (tracked and new, not ignored), copied to `dest`."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO_ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def install_wheel(root: Path) -> Path:
    """Build the wheel from a copy of this checkout and install it into a fresh venv under `root`; return its bin/."""
    source = _tracked_copy(root / "source")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(root / "dist"), "."],
        cwd=source,
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    wheels = list((root / "dist").glob("comind_ops-*.whl"))
    assert len(wheels) == 1, wheels
    subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True)
    bin_dir = root / "venv" / "bin"
    done = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheels[0])], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    shutil.rmtree(source)  # nothing of the checkout copy is left for the installed comind to lean on
    return bin_dir


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a fresh venv holding comind-ops installed from a wheel built from a copy of the checkout."""
    return install_wheel(tmp_path_factory.mktemp("installed"))


def _template_release(work: Path, bare: Path, version: str, change: str | None = None) -> None:
    """Commit the checkout's templates (plus `change` to the app README) as release `version` and push its tag."""
    if not work.exists():
        work.mkdir(parents=True)
        shutil.copy2(REPO_ROOT / "copier.yml", work / "copier.yml")
        shutil.copytree(REPO_ROOT / "templates", work / "templates", ignore=shutil.ignore_patterns("__pycache__"))
        git(work, "init", "-q", "-b", "main")
    release = work / "templates/app/release.yml"
    release.write_text(release.read_text().replace(f'"{VERSION}"', f'"{version}"'))
    if change:
        readme = work / "templates/app/README.md.jinja"
        readme.write_text(readme.read_text() + change)
    commit_all(work, f"release {version}")
    git(work, "tag", f"v{version}")
    if not bare.exists():
        git(work.parent, "clone", "-q", "--bare", str(work), str(bare))
    else:
        git(work, "push", "-q", str(bare), "main", f"v{version}")


def _user_env(bin_dir: Path) -> dict[str, str]:
    """A user's environment with the installed venv first on PATH: nothing points back at this checkout."""
    clean = {k: v for k, v in os.environ.items() if k not in ("COMIND_TEMPLATE", "PYTHONPATH")}
    clean["PATH"] = f"{bin_dir}{os.pathsep}{clean.get('PATH', '')}"
    return clean


def _comind(
    bin_dir: Path, cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = _user_env(bin_dir)
    return subprocess.run(
        [str(bin_dir / "comind"), *args],
        cwd=cwd,
        env={**clean, **GIT_IDENTITY, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )


def _ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _answers(folder: Path) -> dict[str, object]:
    return yaml.safe_load((folder / ".copier-answers.yml").read_text())


def test_installed_comind_runs_from_its_own_files(installed: Path, tmp_path: Path) -> None:
    done = _comind(installed, tmp_path, "--version")
    assert _ok(done).strip() == VERSION
    where = subprocess.run(
        [str(installed / "python"), "-c", "import comind_scaffold; print(comind_scaffold.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env=_user_env(installed),
    ).stdout
    assert where.startswith(str(installed.parent)), where
    assert (Path(where).parent / "_bundled/templates/app/copier.yml").is_file()


def test_installed_init_records_the_public_source_and_renders_apps_offline(installed: Path, tmp_path: Path) -> None:
    platform = tmp_path / "platform"
    _ok(_comind(installed, tmp_path, "init", str(platform), "-d", "platform_name=shop"))
    answers = _answers(platform)
    assert answers["_src_path"] == PUBLIC_SOURCE
    assert answers["_commit"] == f"v{VERSION}"
    git(platform, "init", "-q", "-b", "main")
    commit_all(platform, "platform")
    _ok(_comind(installed, platform, "new-app", "cart", "--team", "backend"))
    assert _answers(platform / "apps/cart")["_src_path"] == PUBLIC_SOURCE
    # The public repository is not reachable from here: one line naming it, exit 2, not "up to date".
    done = _comind(installed, platform, "check-update", "--exit-code")
    assert done.returncode == 2, done.stdout + done.stderr
    assert PUBLIC_SOURCE in done.stderr and "Traceback" not in done.stderr


def test_platform_shared_with_a_teammate_follows_template_releases(installed: Path, tmp_path: Path) -> None:
    work, bare = tmp_path / "template-work", tmp_path / "comind-ops.git"
    _template_release(work, bare, "1.0.0")
    url = bare.as_uri()
    platform = tmp_path / "platform"
    _ok(_comind(installed, tmp_path, "init", str(platform), "--template", url, "-d", "platform_name=shop"))
    assert _answers(platform)["_src_path"] == url
    assert _answers(platform)["_commit"] == "v1.0.0"
    git(platform, "init", "-q", "-b", "main")
    commit_all(platform, "platform")
    _ok(_comind(installed, platform, "new-app", "cart", "--team", "backend"))
    commit_all(platform, "cart")
    _ok(_comind(installed, platform, "validate", "."))

    shutil.rmtree(work)  # the teammate has no template checkout, only the platform and the URL it records
    teammate = tmp_path / "teammate"
    git(tmp_path, "clone", "-q", str(platform), str(teammate))
    _ok(_comind(installed, teammate, "new-app", "web", "--team", "frontend"))
    commit_all(teammate, "web")
    _ok(_comind(installed, teammate, "update", "--all"))
    assert _answers(teammate / "apps/web")["_commit"] == "v1.0.0"

    git(tmp_path, "clone", "-q", str(bare), str(work))
    _template_release(work, bare, "1.1.0", change="\nRelease 1.1.0 of the app template.\n")
    done = _comind(installed, teammate, "check-update", "--exit-code")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "v1.1.0" in done.stdout
    _ok(_comind(installed, teammate, "update", "--all"))
    commit_all(teammate, "apps to 1.1.0")
    _ok(_comind(installed, teammate, "update", "--platform"))
    commit_all(teammate, "platform to 1.1.0")
    for folder in (teammate, teammate / "apps/web", teammate / "apps/cart"):
        assert _answers(folder)["_commit"] == "v1.1.0", folder
    assert "Release 1.1.0" in (teammate / "apps/cart/README.md").read_text()
    _ok(_comind(installed, teammate, "check-update", "--exit-code"))

    done = _comind(installed, teammate, "update", "--all", "--vcs-ref", "v9.9.9")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "v9.9.9" in done.stderr and "Traceback" not in done.stderr
    assert not git(teammate, "status", "--porcelain").strip()

    verify = subprocess.run(
        [str(installed / "python"), "-m", "pytest", "verify/", "--profile", "local", "-m", "static", "-q"],
        cwd=teammate,
        capture_output=True,
        text=True,
        timeout=600,
        env=_user_env(installed),
    )
    assert verify.returncode == 0, verify.stdout[-3000:] + verify.stderr[-2000:]
    assert " passed" in verify.stdout
    assert " passed" in _ok(_comind(installed, teammate, "status", "--layer", "static"))


def test_unreachable_template_source_is_one_line(installed: Path, tmp_path: Path) -> None:
    missing = (tmp_path / "nowhere.git").as_uri()
    done = _comind(installed, tmp_path, "init", str(tmp_path / "p"), "--template", missing)
    assert done.returncode == 2, done.stdout + done.stderr
    assert missing in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "p").exists()
