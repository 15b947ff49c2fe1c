"""Peers of `npm run bench:alerts`: the same streams and windows through alibi-detect, NannyML,
River and Evidently.

Usage: python peers.py MANIFEST OUTPUT {alibi|nannyml|river|evidently}

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
river: drift.ADWIN(), drift.KSWIN(seed=0) and drift.PageHinkley(), otherwise at their defaults, one
instance per numeric feature, each fed every event of the reference and of the scored windows in
order (the reference warms them up; their alarms there are not counted); a window alarms when any
feature's detector has `drift_detected` on one of its events. KSWIN runs scipy's ks_2samp on every
event, about 0.2 ms each: BENCH_ALERTS_RIVER=adwin,pagehinkley (default adwin,kswin,pagehinkley)
leaves it out.
evidently: Report([DataDriftPreset()]) at the preset's defaults (per column: K-S / chi-square
p < 0.05 when the reference has at most 1000 rows, else normed Wasserstein / Jensen-Shannon
distance >= 0.1; drift_share 0.5), the numeric features declared numerical and the categorical one
categorical; the first `reference` rows are the reference and each window the current data. The
report is run with include_tests=True, which only adds Evidently's own verdicts to the result:
"(dataset)" alarms when the DriftedColumnsCount test (share of drifted columns < drift_share)
fails, "any column" when one column's ValueDrift test fails. Evidently renders Plotly widgets for
the HTML report on every run, about 0.23 s of the 0.27 s a weather window takes; the verdicts do not
depend on them, so they are skipped (0.045 s a window) unless BENCH_ALERTS_EVIDENTLY_WIDGETS=1.
"""

import json
import os
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


def stream_frame(pd, truth, rows):
    """The stream's whole windows as a DataFrame (numeric columns, then the categorical one), its columns and window count."""
    n_windows = (len(rows) - truth["reference"]) // truth["window"]
    columns = truth["numeric"] + [truth["categorical"]]
    frame = pd.DataFrame(rows[: truth["reference"] + n_windows * truth["window"]], columns=columns)
    return frame, columns, n_windows


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
        frame, columns, n_windows = stream_frame(pd, truth, rows)
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


RIVER = {
    "adwin": ("River ADWIN (per numeric feature)", lambda drift: drift.ADWIN()),
    "kswin": ("River KSWIN (per numeric feature)", lambda drift: drift.KSWIN(seed=0)),
    "pagehinkley": ("River PageHinkley (per numeric feature)", lambda drift: drift.PageHinkley()),
}


# KSWIN runs scipy's ks_2samp on every event (about 0.2 ms each): it covers the first shuffles
# of each dataset only (the table's stationary-window count says how many windows it was scored on).
KSWIN_SHUFFLES = int(os.environ.get("BENCH_ALERTS_KSWIN_SHUFFLES", "") or "10")


def run_river(streams):
    import river
    from river import drift

    keys = os.environ.get("BENCH_ALERTS_RIVER", "") or ",".join(RIVER)
    chosen = [k for k in keys.split(",") if k != ""]
    for k in chosen:
        if k not in RIVER:
            raise SystemExit(f"BENCH_ALERTS_RIVER: unknown {k!r} (known: {', '.join(RIVER)})")
    out = {RIVER[k][0]: {"streams": {}, "seconds": {}, "events": {}} for k in chosen}
    for truth, rows in streams:
        numeric, _, n_windows = arrays(truth, rows)
        R, W = truth["reference"], truth["window"]
        events = R + n_windows * W
        columns = [numeric[:events, j].tolist() for j in range(numeric.shape[1])]
        for k in chosen:
            name, make = RIVER[k]
            if k == "kswin" and truth["seed"] >= KSWIN_SHUFFLES:
                continue
            started = time.perf_counter()
            alarms = [False] * n_windows
            # Each feature's detector sees that feature's events in stream order; the detectors are
            # independent, so feeding one feature's column after the other gives the same verdicts.
            for column in columns:
                detector = make(drift)
                for i, x in enumerate(column):
                    detector.update(x)
                    if detector.drift_detected and i >= R:
                        alarms[(i - R) // W] = True
            out[name]["seconds"][truth["stream"]] = time.perf_counter() - started
            out[name]["events"][truth["stream"]] = events
            out[name]["streams"][truth["stream"]] = alarms
    return {"versions": {"river": river.__version__}, "detectors": out}


def skip_evidently_widgets():
    """Makes Evidently 0.7 build no Plotly widgets for the HTML report: the metrics and tests are unchanged."""
    import evidently.core.report as core_report
    from evidently.metrics import column_statistics
    from evidently.presets import drift as preset_drift

    class NoRenderer:
        def render_html(self, obj):
            return []

    core_report.find_metric_renderer = lambda *args, **kwargs: NoRenderer()
    column_statistics.ValueDriftCalculation._render = lambda self, *args, **kwargs: []
    preset_drift.DataDriftPreset.render = lambda self, *args, **kwargs: []


def evidently_verdicts(snapshot):
    """(dataset drift, any column drifted) as Evidently's own tests on a DataDriftPreset report say."""
    dataset, columns = None, []
    for test in snapshot.tests_results:
        kind = test.metric_config.params["type"]
        failed = test.status.value == "FAIL"
        if kind == "evidently:metric_v2:DriftedColumnsCount":
            dataset = failed
        elif kind == "evidently:metric_v2:ValueDrift":
            columns.append(failed)
    counts = [r for r in snapshot.metric_results.values() if type(r).__name__ == "CountValue"]
    if dataset is None or len(counts) != 1 or (counts[0].count.value > 0) != any(columns):
        raise SystemExit(f"unexpected Evidently result: dataset {dataset}, columns {columns}")
    return dataset, any(columns)


def evidently_report(reference, current):
    from evidently import Report
    from evidently.presets import DataDriftPreset

    return Report([DataDriftPreset()], include_tests=True).run(current, reference)


def run_evidently(streams):
    import evidently
    import pandas as pd
    from evidently import DataDefinition, Dataset

    if os.environ.get("BENCH_ALERTS_EVIDENTLY_WIDGETS", "") != "1":
        skip_evidently_widgets()
    names = ["Evidently DataDriftPreset (dataset)", "Evidently DataDriftPreset, any column"]
    out = {n: {"streams": {}, "seconds": {}, "events": {}} for n in names}
    for truth, rows in streams:
        R, W = truth["reference"], truth["window"]
        frame, _, n_windows = stream_frame(pd, truth, rows)
        started = time.perf_counter()
        definition = DataDefinition(numerical_columns=truth["numeric"], categorical_columns=[truth["categorical"]])
        reference = Dataset.from_pandas(frame.iloc[:R].reset_index(drop=True), data_definition=definition)
        dataset_alarms, column_alarms = [], []
        for w in range(n_windows):
            window = frame.iloc[R + w * W : R + (w + 1) * W].reset_index(drop=True)
            current = Dataset.from_pandas(window, data_definition=definition)
            dataset, any_column = evidently_verdicts(evidently_report(reference, current))
            dataset_alarms.append(dataset)
            column_alarms.append(any_column)
        seconds = time.perf_counter() - started
        for name, alarms in zip(names, [dataset_alarms, column_alarms]):
            out[name]["seconds"][truth["stream"]] = seconds
            out[name]["events"][truth["stream"]] = R + n_windows * W
            out[name]["streams"][truth["stream"]] = alarms
    return {"versions": {"evidently": evidently.__version__, "pandas": pd.__version__}, "detectors": out}


def main():
    manifest, output, which = sys.argv[1], sys.argv[2], sys.argv[3]
    runners = {"alibi": run_alibi, "nannyml": run_nannyml, "river": run_river, "evidently": run_evidently}
    if which not in runners:
        raise SystemExit(f"unknown peer {which!r} (known: {', '.join(runners)})")
    result = runners[which](load(manifest))
    Path(output).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
