"""The Evidently baseline of `npm run bench:report`: DataDriftPreset on the same two CSVs.

Usage: evidently_peer.py REFERENCE.csv CURRENT.csv OUT.json

pandas.read_csv (default C engine, as in Evidently's docs), column roles declared explicitly
(numeric dtypes -> numerical_columns, the rest -> categorical_columns) so that no time goes into
Evidently guessing them, then Report([DataDriftPreset()]).run(current, reference) with the preset's
defaults (for more than 1000 rows these are Wasserstein distance for numeric columns and
Jensen-Shannon distance for categorical ones, not KS/chi-square). The snapshot's dict is written to
OUT.json so that the work is not skipped and can be checked.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("EVIDENTLY_DISABLE_TELEMETRY", "1")

import pandas as pd  # noqa: E402
from evidently import DataDefinition, Dataset, Report  # noqa: E402
from evidently.presets import DataDriftPreset  # noqa: E402


def main() -> None:
    ref_path, cur_path, out_path = sys.argv[1:4]
    ref = pd.read_csv(ref_path)
    cur = pd.read_csv(cur_path)
    numeric = [c for c in ref.columns if pd.api.types.is_numeric_dtype(ref[c])]
    categorical = [c for c in ref.columns if c not in numeric]
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    reference = Dataset.from_pandas(ref, data_definition=definition)
    current = Dataset.from_pandas(cur, data_definition=definition)
    snapshot = Report([DataDriftPreset()]).run(current, reference)
    with open(out_path, "w") as f:
        json.dump(snapshot.dict(), f, default=str)


if __name__ == "__main__":
    main()
