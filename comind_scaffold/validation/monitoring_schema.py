"""comind-ops' own schema of the Prometheus Operator's ServiceMonitor (monitoring.coreos.com/v1).

Apps with a `metrics_port` render one per environment when the platform has the monitoring stack; this lets
`comind validate` check it offline, without the CRD. Strict (unknown fields fail) for the resource, its spec and
each endpoint, with the field names and value rules of the operator's CRD (v0.85); below that (relabelings,
TLS, auth, attachMetadata) it only checks that the value is an object or a list.
"""

from __future__ import annotations

from typing import Any

from comind_scaffold.validation.schema_parts import ANY_OBJECT, BOOLEAN, INTEGER, OBJECT_META, STRING, STRINGS, strict

__all__ = ["API_VERSION", "SERVICE_MONITOR"]

API_VERSION = "monitoring.coreos.com/v1"
_OBJECT = ANY_OBJECT
_LIST = {"type": "array"}
_DURATION = {"type": "string",
             "pattern": "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"}
_PROTOCOLS = ["PrometheusProto", "OpenMetricsText0.0.1", "OpenMetricsText1.0.0", "PrometheusText0.0.4",
              "PrometheusText1.0.0"]

_ENDPOINT = strict({
    "port": STRING,
    "targetPort": {"anyOf": [INTEGER, STRING]},
    "path": STRING,
    "scheme": {"type": "string", "enum": ["http", "https"]},
    "interval": _DURATION,
    "scrapeTimeout": _DURATION,
    "params": _OBJECT,
    "honorLabels": BOOLEAN,
    "honorTimestamps": BOOLEAN,
    "trackTimestampsStaleness": BOOLEAN,
    "filterRunning": BOOLEAN,
    "followRedirects": BOOLEAN,
    "enableHttp2": BOOLEAN,
    "proxyUrl": {"type": "string", "pattern": "^(http|https|socks5)://.+$"},
    "noProxy": STRING,
    "proxyFromEnvironment": BOOLEAN,
    "proxyConnectHeader": _OBJECT,
    "relabelings": _LIST,
    "metricRelabelings": _LIST,
    "tlsConfig": _OBJECT,
    "basicAuth": _OBJECT,
    "authorization": _OBJECT,
    "oauth2": _OBJECT,
    "bearerTokenFile": STRING,
    "bearerTokenSecret": _OBJECT,
})

_SPEC = strict({
    "selector": {"$ref": "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"},
    "namespaceSelector": strict({"any": BOOLEAN, "matchNames": STRINGS}),
    "endpoints": {"type": "array", "items": _ENDPOINT},
    "jobLabel": STRING,
    "targetLabels": STRINGS,
    "podTargetLabels": STRINGS,
    "attachMetadata": _OBJECT,
    "scrapeClass": STRING,
    "scrapeProtocols": {"type": "array", "items": {"type": "string", "enum": _PROTOCOLS}},
    "fallbackScrapeProtocol": {"type": "string", "enum": _PROTOCOLS},
    "selectorMechanism": {"type": "string", "enum": ["RelabelConfig", "RoleSelector"]},
    "sampleLimit": INTEGER,
    "targetLimit": INTEGER,
    "labelLimit": INTEGER,
    "labelNameLengthLimit": INTEGER,
    "labelValueLengthLimit": INTEGER,
    "keepDroppedTargets": INTEGER,
    "bodySizeLimit": STRING,
    "nativeHistogramBucketLimit": INTEGER,
    "nativeHistogramMinBucketFactor": {"anyOf": [INTEGER, STRING]},
    "scrapeClassicHistograms": BOOLEAN,
    "convertClassicHistogramsToNHCB": BOOLEAN,
}, required=("endpoints", "selector"))

SERVICE_MONITOR: dict[str, Any] = strict({
    "apiVersion": {"type": "string", "enum": [API_VERSION]},
    "kind": {"type": "string", "enum": ["ServiceMonitor"]},
    "metadata": OBJECT_META,
    "spec": _SPEC,
}, required=("apiVersion", "kind", "metadata", "spec"))
