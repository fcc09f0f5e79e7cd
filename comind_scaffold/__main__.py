"""`python -m comind_scaffold`: the same as the `comind` console script."""

from comind_scaffold.cli import entrypoint

entrypoint()
