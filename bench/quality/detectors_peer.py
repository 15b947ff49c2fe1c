"""The Python side of the detector part of `npm run bench:quality`: River's concept-drift detectors
timed on the same streams as driftwatch's, pass for pass.

It runs as a long-lived child of bench/quality/detectors.ts so that the two sides can be
interleaved detector by detector and round by round without paying Python's start-up and River's
import each time. The protocol is one JSON object per line:

  stdout, once at start:  {"versions": {...}}
  stdin, per request:     {"detector": "adwin", "params": {...}, "stream": "/path/real-200000.f64",
                           "min_seconds": 0.2}
  stdout, per request:    {"seconds": [...], "drifts": [...], "warnings": [...]}

For a request it runs whole passes over the stream, each with a new detector, until `min_seconds`
have gone by (at least one pass), and returns the time of each pass and the indices after which
`drift_detected` (and `warning_detected`, for detectors with a warning zone) was true in the first
pass. The timed loop is River's own idiom, as in test/fixtures/river/detectors.py:

    for i, x in enumerate(values):
        detector.update(x)
        if detector.drift_detected: drifts.append(i)

Streams are raw little-endian float64 files, turned into Python lists before any timing (floats;
ints for the 0/1 stream, as River's binary detectors are usually fed); River's update on a plain
Python number is its fast path.

    .venv/quality/bin/python bench/quality/detectors_peer.py
"""

import json
import platform
import sys
import time

import numpy as np
import river
import scipy
from river import drift

# Registry name -> River class; driftwatch's params use River's names, so they pass through.
CLASSES = {
    "adwin": drift.ADWIN,
    "ddm": drift.binary.DDM,
    "eddm": drift.binary.EDDM,
    "hddm_a": drift.binary.HDDMA,
    "hddm_w": drift.binary.HDDMW,
    "kswin": drift.KSWIN,
    "page_hinkley": drift.PageHinkley,
}
# Detectors with a warning zone in River (the others have no warning_detected).
WARNS = {"ddm", "eddm", "hddm_a", "hddm_w"}

_streams = {}


def stream(path):
    if path not in _streams:
        values = np.fromfile(path, dtype="<f8")
        if np.all((values == 0.0) | (values == 1.0)):
            _streams[path] = values.astype(np.int64).tolist()
        else:
            _streams[path] = values.tolist()
    return _streams[path]


def one_pass(cls, params, values, warns):
    detector = cls(**params)
    drifts = []
    warnings = []
    start = time.perf_counter()
    if warns:
        for i, x in enumerate(values):
            detector.update(x)
            if detector.drift_detected:
                drifts.append(i)
            if detector.warning_detected:
                warnings.append(i)
    else:
        for i, x in enumerate(values):
            detector.update(x)
            if detector.drift_detected:
                drifts.append(i)
    return time.perf_counter() - start, drifts, warnings


def serve(request):
    name = request["detector"]
    values = stream(request["stream"])
    seconds = []
    first = None
    total = 0.0
    while not seconds or total < request["min_seconds"]:
        elapsed, drifts, warnings = one_pass(CLASSES[name], request["params"], values, name in WARNS)
        seconds.append(elapsed)
        total += elapsed
        if first is None:
            first = (drifts, warnings)
    return {"seconds": seconds, "drifts": first[0], "warnings": first[1]}


def main():
    versions = {
        "python": platform.python_version(),
        "river": river.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
    }
    print(json.dumps({"versions": versions}), flush=True)
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(serve(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
