#!/bin/bash
# Arguments are handed to `minio` as the official image does (`server /data --address …`). Without
# arguments: env MINIO_ADDRESS (127.0.0.1), MINIO_PORT (9000), MINIO_CONSOLE_PORT (9001).
# MINIO_ROOT_USER / MINIO_ROOT_PASSWORD are read by minio itself.
set -euo pipefail
if [ $# -gt 0 ]; then
  [ "$1" = minio ] && shift
  exec minio "$@"
fi
exec minio server /data --quiet \
  --address "${MINIO_ADDRESS:-127.0.0.1}:${MINIO_PORT:-9000}" \
  --console-address "${MINIO_ADDRESS:-127.0.0.1}:${MINIO_CONSOLE_PORT:-9001}"
