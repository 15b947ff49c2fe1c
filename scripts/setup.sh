#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages, on a fresh Debian machine:
#   - Chromium, to open HTML reports in a real browser;
#   - Java 17 and Maven, to fetch and run a real Apache Kafka broker (jars from Maven Central);
#   - Prometheus's promtool, to check and unit-test the alerting rules and the /metrics output;
#   - Alertmanager, which receives the daemon's alerts in the notifier tests.
# Idempotent: installs only what is missing. Needs root (or sudo) for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "setup: not root and no sudo; install these Debian packages yourself: chromium openjdk-17-jre-headless maven prometheus prometheus-alertmanager" >&2
    exit 1
  fi
fi

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
if [ "${#missing[@]}" -gt 0 ] || ! command -v promtool >/dev/null || [ ! -x /usr/bin/prometheus-alertmanager ]; then
  $SUDO apt-get update -qq
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v promtool >/dev/null; then
  # Only promtool is needed; the recommended node exporter and its collectors are not.
  echo "setup: installing prometheus (for promtool)"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
if [ ! -x /usr/bin/prometheus-alertmanager ]; then
  # A real Alertmanager receives the daemon's alerts in the notifier tests.
  echo "setup: installing prometheus-alertmanager"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus-alertmanager >/dev/null
fi
echo "setup: chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), $(java -version 2>&1 | head -1), $(mvn -v 2>/dev/null | head -1 | sed 's/\x1b\[[0-9;]*m//g'), $(promtool --version 2>/dev/null | head -1)"
