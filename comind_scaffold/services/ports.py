"""Is a local port free, and if not, who holds it (when the kernel lets us see)."""

from __future__ import annotations

import socket
from pathlib import Path

_LISTEN = "0A"


def port_is_free(host: str, port: int) -> bool:
    """True when a TCP socket can bind host:port right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def port_holder(port: int, proc: Path = Path("/proc")) -> str | None:
    """`pid 123 (postgres)` for the process listening on `port`, or None when it cannot be seen."""
    inodes = set()
    for table in ("net/tcp", "net/tcp6"):
        try:
            rows = (proc / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) > 9 and fields[3] == _LISTEN and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    if not inodes:
        return None
    for pid_dir in proc.iterdir():
        if not pid_dir.name.isdigit():
            continue
        try:
            if any(str(fd.readlink()) in inodes for fd in (pid_dir / "fd").iterdir()):
                return f"pid {pid_dir.name} ({(pid_dir / 'comm').read_text().strip()})"
        except OSError:
            continue
    return None
