"""Quota arithmetic: comind_scaffold/quota.py, and the app template's Jinja rendered by real Copier to the same numbers.

The expected values are worked out by hand in the comments, not taken from either implementation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from comind_scaffold import quota
from comind_scaffold.errors import InputError
from tests.helpers_scaffold import make_platform, make_template_repo


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        ("50m", 50),
        ("1m", 1),
        ("0.5", 500),
        ("0.25", 250),
        ("1.001", 1001),  # a float gives 1000.9999…, which truncates to 1000
        ("2.3", 2300),  # 2.3 * 1000 is 2299.9999… as a float
        ("0.001", 1),
        ("2", 2000),
        ("007", 7000),
    ],
)
def test_millicores(quantity: str, expected: int) -> None:
    assert quota.millicores("cpu_request", quantity) == expected


@pytest.mark.parametrize("quantity", ["0", "0m", "0.0", "0.000", "1.0001", "-1", "1.5m", "1e3", "", " 1", "1 "])
def test_millicores_rejects_what_is_not_a_positive_quantity(quantity: str) -> None:
    with pytest.raises(InputError) as raised:
        quota.millicores("cpu_limit", quantity)
    assert raised.value.field == "cpu_limit"
    assert "positive CPU quantity" in raised.value.message


@pytest.mark.parametrize(
    ("quantity", "in_bytes", "in_mebibytes"),
    [
        ("1", 1, 1),  # any part of a mebibyte rounds up
        ("1048576", 1048576, 1),
        ("1048577", 1048577, 2),
        ("1k", 1000, 1),
        ("1Ki", 1024, 1),
        ("64Mi", 64 * 1048576, 64),
        ("100M", 100_000_000, 96),  # 95.37 MiB
        ("1000000k", 10**9, 954),  # 953.67 MiB
        ("1G", 10**9, 954),
        ("1Gi", 1073741824, 1024),
        ("3T", 3 * 10**12, 2861023),  # 2861022.9 MiB
        ("1Ti", 1099511627776, 1048576),
    ],
)
def test_memory(quantity: str, in_bytes: int, in_mebibytes: int) -> None:
    assert quota.memory_bytes("memory_request", quantity) == in_bytes
    assert quota.mebibytes("memory_request", quantity) == in_mebibytes


@pytest.mark.parametrize("quantity", ["0", "0Mi", "1.5Gi", "1mi", "1MB", "Mi", "-1Mi", "1 Mi"])
def test_memory_rejects_what_is_not_a_positive_quantity(quantity: str) -> None:
    with pytest.raises(InputError) as raised:
        quota.mebibytes("memory_limit", quantity)
    assert raised.value.field == "memory_limit"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("quota")
    template = make_template_repo(root / "template")
    return template, make_platform(template, root / "platform")


def _render_quota(platform: tuple[Path, Path], name: str, answers: dict[str, Any]) -> dict[str, str]:
    template, repo = platform
    data = {"template": "app", "app_name": name, "team": "payments", **answers}
    copier.run_copy(str(template), repo / "apps" / name, data=data, defaults=True, unsafe=True, quiet=True,
                    vcs_ref="v1.0.0")
    rendered: dict[str, Any] = yaml.safe_load((repo / "apps" / name / "k8s/base/resourcequota.yaml").read_text())
    hard: dict[str, str] = rendered["spec"]["hard"]
    return {key: str(hard[key]) for key in ("pods", "requests.cpu", "limits.cpu", "requests.memory", "limits.memory")}


# name, answers, the totals worked out by hand.
RENDERED = [
    (
        "thousandths",  # one environment with one replica: 2 pods
        {"environments": ["dev"], "replicas": {"dev": 1}, "cpu_request": "1.001", "cpu_limit": "1.5",
         "memory_request": "100M", "memory_limit": "1000000k"},
        {"pods": "2", "requests.cpu": "2002m", "limits.cpu": "3000m", "requests.memory": "192Mi",
         "limits.memory": "1908Mi"},
    ),
    (
        "autoscaled",  # max_replicas 4: 5 pods
        {"autoscaling": True, "max_replicas": 4, "cpu_request": "0.25", "cpu_limit": "2.3",
         "memory_request": "1048577", "memory_limit": "1Gi"},
        {"pods": "5", "requests.cpu": "1250m", "limits.cpu": "11500m", "requests.memory": "10Mi",
         "limits.memory": "5120Mi"},
    ),
    (
        "millis",  # replicas dev 1, stage 2, prod 3: 4 pods
        {"replicas": {"dev": 1, "stage": 2, "prod": 3}, "cpu_request": "75m", "cpu_limit": "0.999",
         "memory_request": "1Ki", "memory_limit": "3G"},
        {"pods": "4", "requests.cpu": "300m", "limits.cpu": "3996m", "requests.memory": "4Mi",
         "limits.memory": "11448Mi"},
    ),
]


@pytest.mark.parametrize(("name", "answers", "expected"), RENDERED, ids=[case[0] for case in RENDERED])
def test_the_template_renders_the_quota_that_python_computes(
    platform: tuple[Path, Path], name: str, answers: dict[str, Any], expected: dict[str, str]
) -> None:
    assert _render_quota(platform, name, answers) == expected
    pods = int(expected["pods"])
    assert {
        "requests.cpu": f"{quota.millicores('cpu_request', answers['cpu_request']) * pods}m",
        "limits.cpu": f"{quota.millicores('cpu_limit', answers['cpu_limit']) * pods}m",
        "requests.memory": f"{quota.mebibytes('memory_request', answers['memory_request']) * pods}Mi",
        "limits.memory": f"{quota.mebibytes('memory_limit', answers['memory_limit']) * pods}Mi",
    } == {key: value for key, value in expected.items() if key != "pods"}


def test_the_template_accepts_a_limit_equal_to_the_request_in_other_units(platform: tuple[Path, Path]) -> None:
    # 1001m and 1.001 are the same quantity; truncating 1.001 to 1000 would call the limit below the request.
    answers = {"environments": ["dev"], "cpu_request": "1001m", "cpu_limit": "1.001"}
    assert quota.millicores("cpu_limit", "1.001") == quota.millicores("cpu_request", "1001m")
    assert _render_quota(platform, "same-cpu", answers)["limits.cpu"] == "2002m"


def test_the_template_refuses_a_limit_one_millicore_below_the_request(platform: tuple[Path, Path]) -> None:
    template, repo = platform
    data = {"template": "app", "app_name": "below", "team": "payments", "environments": ["dev"],
            "cpu_request": "1.001", "cpu_limit": "1000m"}
    with pytest.raises(ValueError, match="cpu_limit: 1000m is below cpu_request 1.001"):
        copier.run_copy(str(template), repo / "apps/below", data=data, defaults=True, unsafe=True, quiet=True,
                        vcs_ref="v1.0.0")
    assert not (repo / "apps/below").exists()
