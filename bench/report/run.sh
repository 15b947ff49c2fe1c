#!/usr/bin/env bash
# `npm run bench:report`: driftwatch report vs a scipy loop vs Evidently's DataDriftPreset on a
# 1M-row x 20-column CSV pair, timed in one run and printed as ratios (see BENCHMARKS.md).
#
# Environment knobs (all optional):
#   BENCH_ROWS=1000000        rows per file (the data is cached per row count under .bench/report/)
#   BENCH_ROUNDS=3            interleaved rounds; driftwatch and scipy run once per round
#   BENCH_EVIDENTLY_RUNS=1    how many of those rounds also run Evidently (about a minute each)
#   BENCH_SKIP_DRIFTWATCH=1   peers only (no build, no ratios), e.g. while the CLI is broken
#   BENCH_SKIP_EVIDENTLY=1    no Evidently
set -euo pipefail
cd "$(dirname "$0")/../.."

ROWS="${BENCH_ROWS:-1000000}"
ROUNDS="${BENCH_ROUNDS:-3}"
EVIDENTLY_RUNS="${BENCH_EVIDENTLY_RUNS:-1}"
VENV=.bench/venv
DATA=".bench/report/data-$ROWS"
WORK=.bench/report/out

# 1. The peers' Python venv (gitignored, separate from .venv), refilled when requirements.txt changes.
req_hash="$(sha256sum bench/report/requirements.txt | cut -c1-16)"
if [ ! -x "$VENV/bin/python" ]; then
  echo "== creating $VENV"
  python3 -m venv "$VENV"
fi
if [ "$(cat "$VENV/.requirements-hash" 2>/dev/null || true)" != "$req_hash" ]; then
  echo "== installing bench/report/requirements.txt into $VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r bench/report/requirements.txt
  echo "$req_hash" >"$VENV/.requirements-hash"
fi
PY="$VENV/bin/python"

# 2. driftwatch, built from this tree.
if [ "${BENCH_SKIP_DRIFTWATCH:-0}" != "1" ]; then
  echo "== npm run build"
  npm run build --silent
  if ! node bin/driftwatch.js report --help >/dev/null 2>&1; then
    echo "error: 'node bin/driftwatch.js report --help' fails; set BENCH_SKIP_DRIFTWATCH=1 to time the peers only" >&2
    exit 1
  fi
fi

# 3. The data, generated once per (generator, pins, row count) and cached.
data_hash="$(cat bench/report/gen_data.py bench/report/requirements.txt | sha256sum | cut -c1-16)-$ROWS"
if [ "$(cat "$DATA/.stamp" 2>/dev/null || true)" != "$data_hash" ]; then
  echo "== generating $ROWS rows x 20 columns into $DATA"
  rm -rf "$DATA"
  "$PY" bench/report/gen_data.py "$DATA" "$ROWS"
  echo "$data_hash" >"$DATA/.stamp"
else
  echo "== using cached data in $DATA"
fi

# 4. Versions and machine, then the interleaved runs.
echo "== node $(node --version), $("$PY" -c 'import sys, numpy, scipy, pandas, pyarrow, evidently
print(f"python {sys.version.split()[0]}, numpy {numpy.__version__}, scipy {scipy.__version__}, "
      f"pandas {pandas.__version__}, pyarrow {pyarrow.__version__}, evidently {evidently.__version__}")' 2>/dev/null)"
echo "== OpenBLAS kernel for the peers: $(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" -c 'import numpy, scipy.linalg
from threadpoolctl import threadpool_info
print(", ".join(sorted({str(i.get("architecture")) for i in threadpool_info()})))' 2>/dev/null || echo unknown)"
echo "== $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
args=(--data "$DATA" --work "$WORK" --rounds "$ROUNDS" --evidently-runs "$EVIDENTLY_RUNS")
[ "${BENCH_SKIP_DRIFTWATCH:-0}" = "1" ] && args+=(--no-driftwatch)
[ "${BENCH_SKIP_EVIDENTLY:-0}" = "1" ] && args+=(--no-evidently)
"$PY" bench/report/bench.py "${args[@]}"
