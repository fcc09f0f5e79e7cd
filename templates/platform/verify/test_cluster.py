"""The cluster layer: the tests ship in comind_scaffold/verifier/suite so `comind status` runs the same ones."""

from comind_scaffold.verifier.suite.test_cluster import *  # noqa: F403
