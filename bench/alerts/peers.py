"""Peers of `npm run bench:alerts`: the same streams and windows through alibi-detect and NannyML.

Usage: python peers.py MANIFEST OUTPUT {alibi|nannyml}

MANIFEST is the JSON written by bench/alerts/run.ts: the streams directory and the ground-truth
files to read. Each stream's first `reference` rows are the reference; the tumbling windows of
`window` rows after it (a last partial window is left out, as on the driftwatch side) are tested.
OUTPUT gets, per detector configuration, the alarm of every window of every stream and the time
spent per stream (constructors and predictions, or fit and calculate), so that the cost per event is the
peer's own.

alibi: KSDrift on the numeric features, ChiSquareDrift on the categorical one, and TabularDrift
on all of them, each at its defaults (p_val 0.05, Bonferroni correction across features).
nannyml: UnivariateDriftCalculator with kolmogorov_smirnov and chi2 at its default thresholds
(KS: mean + 3 standard deviations of the statistic on the reference chunks; chi2: p < 0.05), with
chunks of `window` rows; a window alarms when any feature alerts (NannyML gives no dataset verdict).
"""

import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")


def load(manifest_path):
    manifest = json.loads(Path(manifest_path).read_text())
    directory = Path(manifest["dir"])
    for name in manifest["streams"]:
        truth = json.loads((directory / f"{name}.json").read_text())
        with open(directory / truth["rows_file"]) as f:
            rows = [json.loads(line) for line in f if line.strip()]
        yield truth, rows


def arrays(truth, rows):
    """Numeric matrix, categorical codes (over the stream's categories, sorted) and the window count."""
    numeric = np.array([[r[c] for c in truth["numeric"]] for r in rows], dtype=np.float64)
    cats = sorted({r[truth["categorical"]] for r in rows})
    index = {c: i for i, c in enumerate(cats)}
    codes = np.array([index[r[truth["categorical"]]] for r in rows], dtype=np.float64).reshape(-1, 1)
    n_windows = (len(rows) - truth["reference"]) // truth["window"]
    return numeric, codes, n_windows


def run_alibi(streams):
    import alibi_detect
    from alibi_detect.cd import ChiSquareDrift, KSDrift, TabularDrift

    names = ["alibi KSDrift (numeric)", "alibi ChiSquareDrift (categorical)", "alibi TabularDrift (all)"]
    out = {n: {"streams": {}, "seconds": {}, "events": {}} for n in names}
    for truth, rows in streams:
        numeric, codes, n_windows = arrays(truth, rows)
        both = np.hstack([numeric, codes])
        R, W = truth["reference"], truth["window"]
        cat_index = both.shape[1] - 1
        makers = [
            (names[0], numeric, lambda ref: KSDrift(ref)),
            (names[1], codes, lambda ref: ChiSquareDrift(ref)),
            (names[2], both, lambda ref: TabularDrift(ref, categories_per_feature={cat_index: None})),
        ]
        for name, data, make in makers:
            started = time.perf_counter()
            detector = make(data[:R])
            alarms = []
            for w in range(n_windows):
                window = data[R + w * W : R + (w + 1) * W]
                alarms.append(bool(detector.predict(window)["data"]["is_drift"]))
            out[name]["seconds"][truth["stream"]] = time.perf_counter() - started
            out[name]["events"][truth["stream"]] = R + n_windows * W
            out[name]["streams"][truth["stream"]] = alarms
    return {"versions": {"alibi-detect": alibi_detect.__version__, "numpy": np.__version__}, "detectors": out}


def run_nannyml(streams):
    import nannyml
    import pandas as pd

    name = "NannyML univariate (KS, chi2)"
    out = {name: {"streams": {}, "seconds": {}, "events": {}}}
    for truth, rows in streams:
        R, W = truth["reference"], truth["window"]
        n_windows = (len(rows) - R) // W
        columns = truth["numeric"] + [truth["categorical"]]
        frame = pd.DataFrame(rows[: R + n_windows * W], columns=columns)
        started = time.perf_counter()
        calc = nannyml.UnivariateDriftCalculator(
            column_names=columns,
            treat_as_categorical=[truth["categorical"]],
            continuous_methods=["kolmogorov_smirnov"],
            categorical_methods=["chi2"],
            chunk_size=W,
        )
        calc.fit(frame.iloc[:R])
        result = calc.calculate(frame.iloc[R:]).filter(period="analysis").to_df()
        alert_columns = [c for c in result.columns if c[-1] == "alert"]
        alarms = [bool(x) for x in result[alert_columns].any(axis=1).tolist()]
        out[name]["seconds"][truth["stream"]] = time.perf_counter() - started
        out[name]["events"][truth["stream"]] = R + n_windows * W
        if len(alarms) != n_windows:
            raise SystemExit(f"{truth['stream']}: {len(alarms)} NannyML chunks, {n_windows} windows")
        out[name]["streams"][truth["stream"]] = alarms
    return {"versions": {"nannyml": nannyml.__version__, "pandas": pd.__version__}, "detectors": out}


def main():
    manifest, output, which = sys.argv[1], sys.argv[2], sys.argv[3]
    streams = load(manifest)
    result = run_alibi(streams) if which == "alibi" else run_nannyml(streams)
    Path(output).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
