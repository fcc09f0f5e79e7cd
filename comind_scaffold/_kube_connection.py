"""The only module that imports the kubernetes client: one kubeconfig context's bounded, counted connection.

It loads the kubeconfig (a bad one is an `InputError` naming `kubeconfig`), sends each request with a timeout
and no retry, counts it, and turns a failure to reach the API server into one `ClusterUnreachableError` line.
What the requests mean (kinds, lists, applies) is `_kube.py`'s; this module knows paths and bytes only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Self

from comind_scaffold.errors import ClusterUnreachableError, InputError

Obj = dict[str, Any]


class KubeConnection:
    """A bounded, counting connection to the API server of one kubeconfig context.

    Attributes:
        server: The API server URL.
        requests: How many HTTP requests this connection has made.
        timeout: Seconds allowed for each request (connect and read).

    """

    def __init__(self, kubeconfig: str | None = None, context: str | None = None, *, timeout: float = 5.0) -> None:
        from kubernetes import client, config
        from kubernetes.config.config_exception import ConfigException

        configuration = client.Configuration()
        if kubeconfig and not Path(kubeconfig).expanduser().is_file():
            raise InputError("kubeconfig", f"{kubeconfig}: no such file")
        try:
            config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=kubeconfig, context=context, client_configuration=configuration
            )
        except ConfigException as err:
            raise InputError("kubeconfig", f"cannot be used: {_first_line(err)}") from err
        except FileNotFoundError as err:
            raise InputError("kubeconfig", f"{err.filename or kubeconfig}: no such file") from err
        configuration.retries = 0  # a failed request fails at once; callers decide whether to wait
        self._api: Any = client.ApiClient(configuration)
        self.server: str = configuration.host
        self.timeout = timeout
        self.requests = 0

    def close(self) -> None:
        """Release the connection pool."""
        self._api.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(self, path: str, query: list[tuple[str, str]] | None = None, accept: str = "application/json") -> Obj:
        """GET one JSON object; LookupError on 404, ClusterUnreachableError on any other error or a non-object."""
        status, reason, raw = self._raw_get(path, query, accept)
        if status == 404:
            raise LookupError(path)
        if status >= 400:
            raise ClusterUnreachableError(f"API server {self.server}: HTTP {status} {reason} on GET {path}")
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ClusterUnreachableError(f"API server {self.server}: unexpected answer on GET {path}")
        return data

    def _raw_get(self, path: str, query: list[tuple[str, str]] | None, accept: str) -> tuple[int, str, bytes]:
        """One bounded GET: (status, reason, body); only a failure to reach the server raises."""
        return self._request("GET", path, query, {"Accept": accept}, None)

    def _request(
        self, verb: str, path: str, query: list[tuple[str, str]] | None, header: dict[str, str], payload: Obj | None
    ) -> tuple[int, str, bytes]:
        """One bounded request: (status, reason, body); only a failure to reach the server raises."""
        import urllib3
        from kubernetes.client.exceptions import ApiException

        self.requests += 1
        method, url, headers, body, post = self._api.param_serialize(
            verb, path, query_params=query or [], header_params=header, body=payload, auth_settings=["BearerToken"]
        )
        try:
            response = self._api.call_api(
                method,
                url,
                header_params=headers,
                body=body,
                post_params=post,
                _request_timeout=(self.timeout, self.timeout),
            )
            raw = response.read()
        except (ApiException, urllib3.exceptions.HTTPError, OSError) as err:
            raise ClusterUnreachableError(
                f"API server {self.server}: unreachable ({self._reason(err)})",
                hint="check --kubeconfig/--context and that the cluster is running",
            ) from err
        return int(response.status), str(response.reason or ""), bytes(raw)

    def raw_request(self, verb: str, path: str, headers: dict[str, str], body: bytes | None
                    ) -> tuple[int, str, dict[str, str], bytes]:
        """Send bytes as they are to `path` with this context's credentials: (status, reason, headers, body).

        For relaying another client's request (`comind monitoring proxy`); only a failure to reach the server raises.
        """
        import urllib3

        self.requests += 1
        _method, url, auth, _body, _post = self._api.param_serialize(
            verb, path, header_params={}, auth_settings=["BearerToken"])
        try:
            response = self._api.rest_client.pool_manager.request(
                verb, url, body=body, headers={**headers, **auth}, redirect=False, preload_content=True,
                timeout=urllib3.Timeout(connect=self.timeout, read=self.timeout))
        except (urllib3.exceptions.HTTPError, OSError) as err:
            raise ClusterUnreachableError(f"API server {self.server}: unreachable ({self._reason(err)})") from err
        return int(response.status), str(response.reason or ""), dict(response.headers), bytes(response.data)

    def port_forward_stream(self, namespace: str, pod: str, port: int) -> Any:
        """One port-forward stream to `pod`:`port` (`kubernetes.stream.portforward`).

        `.socket(port)` carries the bytes, `.error(port)` says why the stream failed, `.close()` ends it. A refused
        stream raises.
        """
        from kubernetes import client
        from kubernetes.stream import portforward

        self.requests += 1
        core = client.CoreV1Api(self._api)
        return portforward(core.connect_get_namespaced_pod_portforward, pod, namespace, ports=str(port))

    def _reason(self, err: BaseException) -> str:
        import urllib3

        if isinstance(err, urllib3.exceptions.MaxRetryError) and err.reason is not None:
            err = err.reason
        if isinstance(err, urllib3.exceptions.ReadTimeoutError | TimeoutError):
            return f"no answer within {self.timeout:g}s"
        if isinstance(err, urllib3.exceptions.ConnectTimeoutError):
            return f"no connection within {self.timeout:g}s"
        if isinstance(err, urllib3.exceptions.NewConnectionError):
            return "connection refused" if "refused" in str(err).lower() else _first_line(err).split(": ", 1)[-1]
        return _first_line(err)


def answer_message(raw: bytes) -> str:
    """The `message` of an API server's error answer (a Status object), else the answer itself."""
    detail = raw.decode("utf-8", "replace").strip()
    try:
        return str(json.loads(detail).get("message") or detail)
    except (ValueError, AttributeError):
        return detail


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or err.__class__.__name__
    return text.splitlines()[0][:300]
