"""`comind sync` leaves alone the Applications Argo CD compares anyway (gitops_sync.compares_anyway).

The refresh itself, against the real controllers, is in tests/test_argocd_platform.py; here the decision, on
Application objects as the apiserver returns them.
"""

from __future__ import annotations

from typing import Any

from comind_scaffold.gitops_sync import compares_anyway

APPS_ROOT = {"metadata": {"name": "demo-apps"},
             "status": {"operationState": {"phase": "Succeeded", "startedAt": "2026-12-07T14:33:04Z"}}}


def app(created: str, reconciled: str | None) -> dict[str, Any]:
    status = {"reconciledAt": reconciled} if reconciled else {}
    return {"metadata": {"name": "web-dev", "creationTimestamp": created}, "status": status}


def test_an_application_argo_cd_has_never_compared_is_not_refreshed() -> None:
    assert compares_anyway({"metadata": {"name": "web-dev"}}, APPS_ROOT)
    assert compares_anyway(app("2026-12-07T10:00:00Z", None), APPS_ROOT)


def test_one_the_apps_roots_latest_sync_created_is_not_refreshed_though_already_compared() -> None:
    assert compares_anyway(app("2026-12-07T14:33:04Z", "2026-12-07T14:33:05Z"), APPS_ROOT)
    assert compares_anyway(app("2026-12-07T14:34:00Z", "2026-12-07T14:34:01Z"), APPS_ROOT)


def test_an_older_application_is_refreshed() -> None:
    assert not compares_anyway(app("2026-12-07T14:33:03Z", "2026-12-07T14:40:00Z"), APPS_ROOT)
    assert not compares_anyway(app("2026-12-07T14:33:03Z", "2026-12-07T14:40:00Z"), None)
    assert not compares_anyway(app("2026-12-07T14:33:03Z", "2026-12-07T14:40:00Z"),
                               {"metadata": {"name": "demo-apps"}, "status": {}})
