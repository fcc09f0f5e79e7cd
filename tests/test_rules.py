"""Unit tests of the pure rules, each with the outcome worked out by hand: app names, the answers `comind new-app`
reads from its options, and how an update finds and makes conflicts (quota arithmetic: tests/test_quota.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from comind_scaffold import update, update_guard
from comind_scaffold.app_answers import coerce_data, parse_data, parse_replicas
from comind_scaffold.errors import InputError, TemplateError
from comind_scaffold.naming import app_namespace, check_app_name, check_bucket_names, is_dns_label
from tests.helpers_scaffold import commit_all, git


@pytest.mark.parametrize(
    ("name", "environments", "rule"),
    [
        ("shop", ["dev", "prod"], None),
        ("a" * 59, ["dev"], None),  # shop-dev: 59 + 1 + 3 = 63
        ("a" * 60, ["dev"], "at most 59"),
        ("a" * 57, ["dev", "stage"], None),  # the longest environment sets the bound
        ("a" * 58, ["dev", "stage"], "at most 57"),
        ("a" * 64, ["qa"], "at most 63"),
        ("Shop", ["dev"], "DNS-1123 label"),
        ("1shop", ["dev"], "DNS-1123 label"),
        ("shop-", ["dev"], "DNS-1123 label"),
        ("my_shop", ["dev"], "DNS-1123 label"),
        ("shop\n", ["dev"], "DNS-1123 label"),
        ("", ["dev"], "DNS-1123 label"),
        ("yes", ["dev"], "YAML boolean or null"),
        ("null", ["dev"], "YAML boolean or null"),
        ("yess", ["dev"], None),
        ("argocd", ["dev"], "reserved"),
        ("kube-tools", ["dev"], "reserved"),
        ("platform-x", ["dev"], "reserved"),
        ("kubex", ["dev"], None),
    ],
)
def test_app_names(name: str, environments: list[str], rule: str | None) -> None:
    if rule is None:
        check_app_name(name, environments)
        assert all(is_dns_label(app_namespace(name, env)) for env in environments)
        return
    with pytest.raises(InputError) as raised:
        check_app_name(name, environments)
    assert raised.value.field == "name" and rule in raised.value.message


def test_bucket_names_fit_s3() -> None:
    check_bucket_names("shop", ["acme-shop-dev", "a" * 63])
    with pytest.raises(InputError, match="64 characters; S3 allows 63"):
        check_bucket_names("shop", ["acme-shop-dev", "b" * 64])


def test_replicas_for_every_environment_or_one() -> None:
    envs = ["dev", "stage", "prod"]
    assert parse_replicas(["2"], envs) == {"dev": 2, "stage": 2, "prod": 2}
    assert parse_replicas(["2", "prod=5"], envs) == {"dev": 2, "stage": 2, "prod": 5}
    assert parse_replicas(["prod=5", "2"], envs) == {"dev": 2, "stage": 2, "prod": 2}  # later wins
    assert parse_replicas([], envs) == {}


@pytest.mark.parametrize(
    ("values", "message"),
    [(["two"], "must be N or ENV=N"), (["prod=x"], "must be N or ENV=N"), (["qa=2"], "'qa' is not one of")],
)
def test_replicas_refused(values: list[str], message: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_replicas(values, ["dev", "prod"])
    assert raised.value.field == "replicas" and message in raised.value.message


def test_data_pairs_keep_text_and_type_known_questions() -> None:
    raw = parse_data(["image_tag=1.10", "port=9000", "ingress=no", "description=a=b", " health_path =/ready"])
    assert raw == {"image_tag": "1.10", "port": "9000", "ingress": "no", "description": "a=b", "health_path": "/ready"}
    assert coerce_data(raw) == {"image_tag": "1.10", "port": 9000, "ingress": False, "description": "a=b",
                                "health_path": "/ready"}
    assert coerce_data({"environments": "[dev, prod]", "replicas": "{dev: 1}"}) == {
        "environments": ["dev", "prod"], "replicas": {"dev": 1}}


@pytest.mark.parametrize(
    ("pairs", "field", "message"),
    [
        (["port"], "data", "must be KEY=VALUE"),
        (["=1"], "data", "must be KEY=VALUE"),
        (["port=80a"], "port", "must be a whole number"),
        (["autoscaling=maybe"], "autoscaling", "must be true or false"),
        (["environments=[dev"], "environments", "is not valid YAML"),
    ],
)
def test_data_refused(pairs: list[str], field: str, message: str) -> None:
    with pytest.raises(InputError) as raised:
        coerce_data(parse_data(pairs))
    assert raised.value.field == field and message in raised.value.message


def test_three_way_merge_keeps_both_sides_or_marks_the_clash() -> None:
    base = b"a: 1\nb: 2\nc: 3\nd: 4\ne: 5\n"
    mine, theirs = b"a: 1\nb: 20\nc: 3\nd: 4\ne: 5\n", b"a: 1\nb: 2\nc: 3\nd: 4\ne: 50\n"
    merged, clean = update_guard.merge_three(mine, base, theirs)
    assert clean and merged == b"a: 1\nb: 20\nc: 3\nd: 4\ne: 50\n"
    merged, clean = update_guard.merge_three(b"a: 1\nb: 20\n", b"a: 1\nb: 2\n", b"a: 1\nb: 21\n")
    assert not clean
    assert merged == (
        f"a: 1\n<<<<<<< {update_guard.BEFORE_LABEL}\nb: 20\n=======\nb: 21\n>>>>>>> {update_guard.AFTER_LABEL}\n"
    ).encode()


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    commit_all(tmp_path, "files")
    return tmp_path


def test_conflicts_are_the_files_holding_the_update_markers(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"apps/a/x.yaml": "x: 1\n", "apps/a/y.yaml": "y: 1\n", "apps/a/z.md": "z\n"})
    (root / "apps/a/x.yaml").write_text(f"<<<<<<< {update_guard.BEFORE_LABEL}\nx: 1\n=======\nx: 2\n"
                                        f">>>>>>> {update_guard.AFTER_LABEL}\n")
    (root / "apps/a/y.yaml").write_text("y: 2\n# <<<<<<< before updating, quoted in a comment\n")
    (root / "apps/a/new.yaml").write_text(f"<<<<<<< {update_guard.BEFORE_LABEL}\n=======\n"
                                          f">>>>>>> {update_guard.AFTER_LABEL}\n")
    assert update._conflicts(root, "apps/a") == ["apps/a/new.yaml", "apps/a/x.yaml"]


def test_an_update_is_refused_where_markers_are_committed(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"apps/a/x.yaml": "<<<<<<< HEAD\nx: 1\n=======\nx: 2\n>>>>>>> theirs\n",
                            "apps/b/y.yaml": "text: '<<<<<<< not at a line start'\n"})
    update_guard.refuse_committed_markers(root, ["apps/b"])
    with pytest.raises(TemplateError, match=r"conflict markers are committed in apps/a/x\.yaml \(line 1\);"):
        update_guard.refuse_committed_markers(root, ["apps/a", "apps/b"])
