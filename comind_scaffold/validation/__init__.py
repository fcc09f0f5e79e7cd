"""Offline validation of a platform repository (or any folder of Kubernetes YAML)."""
