"""`python -m comind_scaffold.cli`: the same as the `comind` console script."""

from comind_scaffold.cli import entrypoint

entrypoint()
