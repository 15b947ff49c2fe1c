#!/usr/bin/env bash
# Stop the broker that scripts/kafka-up.sh started from KAFKA_DIR (default <repo>/.kafka):
# SIGTERM first, so Kafka's shutdown hook does a controlled shutdown, then SIGKILL if it is still
# there after KAFKA_STOP_TIMEOUT seconds (default 30). Safe to run when nothing is running.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KDIR_ARG="${KAFKA_DIR:-$ROOT/.kafka}"
STOP_TIMEOUT_SECS="${KAFKA_STOP_TIMEOUT:-30}"

[[ "$STOP_TIMEOUT_SECS" =~ ^[0-9]+$ ]] || {
  echo "kafka-down: KAFKA_STOP_TIMEOUT must be whole seconds (got $STOP_TIMEOUT_SECS)" >&2
  exit 1
}
if [ ! -d "$KDIR_ARG" ]; then
  echo "kafka-down: no broker running from $KDIR_ARG"
  exit 0
fi
# Same absolute spelling kafka-up.sh used, so the command-line check below matches.
KDIR="$(cd "$KDIR_ARG" && pwd)"
PIDFILE="$KDIR/broker.pid"

if [ ! -f "$PIDFILE" ]; then
  echo "kafka-down: no broker running from $KDIR"
  exit 0
fi
PID="$(cat "$PIDFILE")"

# Signal the pid only while it is still our broker: after a reboot or crash the pid may belong to
# another process. An exited-but-unreaped (zombie) broker no longer matches either.
is_our_broker() {
  ps -p "$PID" -o args= 2>/dev/null | grep -qF -- "kafka.Kafka $KDIR/server.properties"
}

if ! is_our_broker; then
  rm -f "$PIDFILE"
  echo "kafka-down: broker from $KDIR was not running (stale pid $PID)"
  exit 0
fi

kill -TERM "$PID" 2>/dev/null || true
for ((i = 0; i < STOP_TIMEOUT_SECS * 10; i++)); do
  is_our_broker || break
  sleep 0.1
done
if is_our_broker; then
  echo "kafka-down: broker pid $PID still running after ${STOP_TIMEOUT_SECS}s, sending SIGKILL" >&2
  kill -KILL "$PID" 2>/dev/null || true
  # SIGKILL cannot be ignored, but give the kernel a moment so callers can rely on "gone".
  for ((i = 0; i < 50; i++)); do
    is_our_broker || break
    sleep 0.1
  done
  if is_our_broker; then
    echo "kafka-down: broker pid $PID survived SIGKILL" >&2
    exit 1
  fi
fi
rm -f "$PIDFILE"
echo "kafka-down: stopped broker pid $PID"
