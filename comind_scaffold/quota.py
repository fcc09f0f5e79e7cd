"""Kubernetes CPU and memory quantities in whole numbers: millicores, bytes, mebibytes.

The app template does the same arithmetic in Jinja (the cpu/memory validators in templates/app/copier-questions.yml
and k8s/base/resourcequota.yaml.jinja), because plain `copier copy templates/app …` must render without comind and
without `--trust`, and Copier refuses `_jinja_extensions` from an untrusted template. Both work in whole numbers,
never floats; tests/test_quota.py renders the template and holds the two to the same results.
"""

from __future__ import annotations

import re

from comind_scaffold.errors import InputError

MEBIBYTE = 2**20
_CPU = re.compile(r"(?P<milli>[0-9]+)m|(?P<whole>[0-9]+)(\.(?P<fraction>[0-9]{1,3}))?")
_MEMORY = re.compile(r"(?P<number>[1-9][0-9]*)(?P<unit>Ki|Mi|Gi|Ti|k|M|G|T)?")
_MEMORY_UNITS = {
    "": 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}


def millicores(field: str, quantity: str) -> int:
    """CPU quantity in millicores, exactly (`1.001` is 1001).

    Raises:
        InputError: Not a positive CPU quantity.

    """
    found = _CPU.fullmatch(quantity)
    value = 0
    if found and found["milli"] is not None:
        value = int(found["milli"])
    elif found:
        value = int(found["whole"]) * 1000 + int((found["fraction"] or "").ljust(3, "0"))
    if value == 0:
        raise InputError(field, f"{quantity!r} must be a positive CPU quantity such as 50m or 0.5")
    return value


def memory_bytes(field: str, quantity: str) -> int:
    """Memory quantity in bytes.

    Raises:
        InputError: Not a positive memory quantity.

    """
    found = _MEMORY.fullmatch(quantity)
    if not found:
        raise InputError(field, f"{quantity!r} must be a positive memory quantity such as 64Mi or 1Gi")
    return int(found["number"]) * _MEMORY_UNITS[found["unit"] or ""]


def mebibytes(field: str, quantity: str) -> int:
    """Memory quantity in whole mebibytes, rounded up (`100M` is 96).

    Raises:
        InputError: Not a positive memory quantity.

    """
    return -(-memory_bytes(field, quantity) // MEBIBYTE)
