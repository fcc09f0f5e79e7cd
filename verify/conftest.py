"""`pytest verify/ --profile local|aws`: options, typed fixtures and the report come from the comind-verify plugin.

Fixtures (comind_scaffold/verifier/plugin.py): `platform` (PlatformRepo), `expected` (Expected), `kube` (Snapshot),
`aws` (Aws), `docker` (DockerEngine), `options` (VerifyOptions), `kube_target` / `aws_target` (Target[...]).
"""
