"""The platform verifier: a pytest plugin (`pytest verify/ --profile …`) and the suite `comind status` runs."""

from comind_scaffold.verifier.plugin import check_target, use
from comind_scaffold.verifier.recording import Verdict, record

__all__ = ["Verdict", "check_target", "record", "use"]
