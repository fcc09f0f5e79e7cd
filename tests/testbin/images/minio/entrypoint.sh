#!/bin/bash
# Env: MINIO_ADDRESS (127.0.0.1), MINIO_PORT (9000), MINIO_CONSOLE_PORT (9001),
# MINIO_ROOT_USER / MINIO_ROOT_PASSWORD (read by minio itself).
set -euo pipefail
exec minio server /data --quiet \
  --address "${MINIO_ADDRESS:-127.0.0.1}:${MINIO_PORT:-9000}" \
  --console-address "${MINIO_ADDRESS:-127.0.0.1}:${MINIO_CONSOLE_PORT:-9001}" "$@"
