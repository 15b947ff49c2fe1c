"""alibi-detect's side of bench/online/run.ts: calibration time and detection delays.

Usage (run by the bench, with .venv/alibi/bin/python): alibi_delay.py INPUT.json OUTPUT.json

INPUT holds alibi-detect's settings (ert, window_sizes, n_bootstraps), the two references whose
calibration is timed, and per setting a reference and the shifted streams to replay. For each
stream, ``predict`` is called event by event from ``reset_state()`` until the first drift; the
delay is that event minus (smallest window - 1), null if the stream ends first. CVMDriftOnline's
thresholds depend only on the reference size, so one detector per size is calibrated and its
reference swapped in for each feature (``x_ref`` and ``_configure_ref()``, what the constructor
sets). Calibration times exclude numba's compilation, done first on a tiny detector.
"""

import json
import sys
import time

import numpy as np

import alibi_detect
import numba
import scipy
from alibi_detect.cd import CVMDriftOnline, FETDriftOnline


def main():
    source, target = sys.argv[1], sys.argv[2]
    with open(source) as f:
        spec = json.load(f)
    ert, window_sizes, n_bootstraps = spec["ert"], spec["window_sizes"], spec["n_bootstraps"]
    common = {"ert": ert, "window_sizes": window_sizes, "n_bootstraps": n_bootstraps, "verbose": False}
    min_window = min(window_sizes)
    np.random.seed(0)

    # Compile numba's kernels before timing anything.
    CVMDriftOnline(np.arange(30.0), ert=10, window_sizes=[3], n_bootstraps=50, verbose=False)
    FETDriftOnline(np.array([0, 1] * 15), ert=10, window_sizes=[3], n_bootstraps=50, verbose=False)

    timings = {}
    started = time.perf_counter()
    cvm = CVMDriftOnline(np.asarray(spec["calibration"]["cvm"], dtype=np.float64), **common)
    timings["cvm"] = time.perf_counter() - started
    fet_reference = np.asarray(spec["calibration"]["fet"], dtype=np.int64)
    started = time.perf_counter()
    fet = FETDriftOnline(fet_reference, **common)
    timings["fet"] = time.perf_counter() - started
    print(f"   alibi-detect calibration: cvm {timings['cvm']:.2f} s, fet {timings['fet']:.2f} s", flush=True)

    cvm_by_size = {cvm.n: cvm}
    delays = {}
    for setting in spec["settings"]:
        started = time.perf_counter()
        if setting["detector"] == "cvm":
            reference = np.asarray(setting["reference"], dtype=np.float64)
            detector = cvm_by_size.get(len(reference))
            if detector is None:
                detector = CVMDriftOnline(reference, **common)
                cvm_by_size[len(reference)] = detector
            detector.x_ref = reference.reshape(-1, 1)
            detector._configure_ref()
        else:
            reference = np.asarray(setting["reference"], dtype=np.int64)
            if np.array_equal(reference, fet_reference):
                detector = fet
            else:
                detector = FETDriftOnline(reference, **common)
        found = []
        for stream in setting["streams"]:
            detector.reset_state()
            delay = None
            for i, x in enumerate(stream):
                if detector.predict(x, return_test_stat=False)["data"]["is_drift"]:
                    delay = i + 1 - (min_window - 1)
                    break
            found.append(delay)
        detector.reset_state()
        delays[setting["name"]] = found
        print(f"   alibi-detect: {setting['name']} in {time.perf_counter() - started:.1f} s", flush=True)

    versions = {"alibi-detect": alibi_detect.__version__, "numpy": np.__version__, "scipy": scipy.__version__,
                "numba": numba.__version__}
    with open(target, "w") as f:
        json.dump({"versions": versions, "calibration_seconds": timings, "delays": delays}, f)


if __name__ == "__main__":
    main()
