"""The verify suite shipped with comind-ops: `comind status` runs it; `verify/` in a repo points at it."""
