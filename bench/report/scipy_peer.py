"""The scipy baseline of `npm run bench:report`: the tests driftwatch runs, one scipy call per column.

Usage: scipy_peer.py REFERENCE.csv CURRENT.csv OUT.json

Reads both CSVs with pyarrow (multithreaded), then for every column: numeric (int or float) ->
scipy.stats.ks_2samp(method="auto") on the non-missing values; string -> the 2xK table of category
counts (union of both sides' categories) -> scipy.stats.chi2_contingency(correction=False).
Writes {"columns": [{"name", "kind", "test", "statistic", "p_value"}]} to OUT.json.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from scipy import stats


def counts(col: pa.ChunkedArray) -> dict[str, int]:
    vc = pc.value_counts(col.drop_null())
    return dict(zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist()))


def main() -> None:
    ref_path, cur_path, out_path = sys.argv[1:4]
    ref = pacsv.read_csv(ref_path)
    cur = pacsv.read_csv(cur_path)
    results = []
    for name in ref.column_names:
        a, b = ref.column(name), cur.column(name)
        if pa.types.is_integer(a.type) or pa.types.is_floating(a.type):
            x = a.to_numpy().astype(np.float64, copy=False)
            y = b.to_numpy().astype(np.float64, copy=False)
            x, y = x[~np.isnan(x)], y[~np.isnan(y)]
            r = stats.ks_2samp(x, y, method="auto")
            results.append(
                {"name": name, "kind": "numeric", "test": "ks", "statistic": float(r.statistic),
                 "p_value": float(r.pvalue)}
            )
        else:
            ca, cb = counts(a), counts(b)
            cats = sorted(set(ca) | set(cb))
            table = np.array([[ca.get(k, 0) for k in cats], [cb.get(k, 0) for k in cats]], dtype=np.float64)
            r = stats.chi2_contingency(table, correction=False)
            results.append(
                {"name": name, "kind": "categorical", "test": "chi2", "statistic": float(r.statistic),
                 "p_value": float(r.pvalue), "dof": int(r.dof)}
            )
    with open(out_path, "w") as f:
        json.dump({"columns": results}, f, indent=1)


if __name__ == "__main__":
    main()
