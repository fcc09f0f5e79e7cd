"""pytest plugin for `pytest verify/` (options, fixtures, report). Filled in by the verifier work."""
