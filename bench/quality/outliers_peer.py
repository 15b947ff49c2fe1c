"""The Python side of bench/quality/outliers.ts: scikit-learn's IsolationForest on the same data.

Data sets (nothing is downloaded at run time but the pinned wheels from PyPI):
  shuttle    the Statlog (Shuttle) data set as the ODDS anomaly benchmark casts it (49,097 rows,
             9 integer sensor features, 3,511 anomalies = 7.15 %), the file river 0.26.1 ships
             inside its wheel (river/datasets/shuttle.csv.gz)
  gmm_local  a harder synthetic set with planted "local" anomalies in the manner of ADBench
             (Han et al. 2022, "ADBench", section 3.3): 9,500 normal rows from a 3-component
             Gaussian mixture in 8 dimensions and 500 anomalies from the same mixture with every
             covariance scaled by 5, shuffled; numpy PCG64 seed 20261126, written to
             .bench/outliers/gmm_local.csv (the same bytes on every run)

Split (identical on both sides): rows with an even 0-based index are the reference, odd rows are
scored. Two protocols:
  contaminated  the reference is every even row, anomalies included (unsupervised)
  clean         the reference is the even rows labelled normal (a known-good period)

Prints one JSON object: per data set its path, split sizes, and per protocol the ROC AUC
(sklearn.metrics.roc_auc_score) of IsolationForest(n_estimators=100, max_samples="auto",
random_state=seed) for each seed, plus numpy transcriptions of driftwatch's robust z, IQR and
Mahalanobis scorers (a cross-check of the TypeScript ones; deterministic, so no seed).

    .venv/outliers/bin/python bench/quality/outliers_peer.py --seeds 10
"""

import argparse
import gzip
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import river
import scipy
import sklearn
from river import datasets
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score


def load_shuttle():
    path = datasets.Shuttle().path
    with gzip.open(path, "rt") as f:
        header = f.readline().strip().split(",")
        data = np.loadtxt(f, delimiter=",", dtype=np.float64)
    assert header[-1] == "anomaly", header
    return str(path), data[:, :-1], data[:, -1].astype(int)


def make_gmm_local(out_dir):
    rng = np.random.default_rng(20261126)
    d, k, normal, anomalous, alpha = 8, 3, 9500, 500, 5.0
    means = rng.normal(0.0, 3.0, size=(k, d))
    covs = []
    for _ in range(k):
        a = rng.normal(size=(d, d))
        covs.append(a @ a.T / d + 0.1 * np.eye(d))
    weights = np.array([0.5, 0.3, 0.2])

    def draw(n, scale):
        comp = rng.choice(k, size=n, p=weights)
        return np.vstack([rng.multivariate_normal(means[c], scale * covs[c]) for c in comp])

    X = np.vstack([draw(normal, 1.0), draw(anomalous, alpha)])
    y = np.r_[np.zeros(normal, int), np.ones(anomalous, int)]
    order = rng.permutation(len(y))
    X, y = X[order], y[order]
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "gmm_local.csv"
    with path.open("w") as f:
        f.write(",".join([f"x{j}" for j in range(d)] + ["anomaly"]) + "\n")
        for row, label in zip(X, y):
            f.write(",".join(repr(float(v)) for v in row) + f",{label}\n")
    return str(path), X, y


def robust_z(ref, x):
    med = np.median(ref, axis=0)
    dev = np.abs(ref - med)
    mad = np.median(dev, axis=0)
    sigma = mad / 0.6744897501960817
    sigma = np.where(sigma > 0, sigma, math.sqrt(math.pi / 2) * dev.mean(axis=0))
    d = np.abs(x - med)
    z = np.where(sigma > 0, d / np.where(sigma > 0, sigma, 1), np.where(d > 0, np.finfo(float).max, 0.0))
    return np.minimum(z, np.finfo(float).max).max(axis=1)


def iqr(ref, x, k=1.5):
    q1, q3 = np.quantile(ref, [0.25, 0.75], axis=0)
    w = q3 - q1
    unit = np.where(w > 0, w, ref.max(axis=0) - ref.min(axis=0))
    lo, hi = q1 - k * w, q3 + k * w
    out = np.maximum(lo - x, 0) + np.maximum(x - hi, 0)
    s = np.where(unit > 0, out / np.where(unit > 0, unit, 1), np.where(out > 0, np.finfo(float).max, 0.0))
    return s.max(axis=1)


def mahalanobis(ref, x, rcond=1e-12):
    mean = ref.mean(axis=0)
    cov = np.cov(ref, rowvar=False)
    sd = np.sqrt(np.diag(cov))
    sd = np.where(sd > 1e-12 * np.abs(mean), sd, 1.0)
    rinv = np.linalg.pinv(cov / np.outer(sd, sd), rcond=rcond, hermitian=True)
    z = (x - mean) / sd
    return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", z, rinv, z), 0))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--out-dir", default=".bench/outliers")
    args = parser.parse_args()
    sets = {"shuttle": load_shuttle(), "gmm_local": make_gmm_local(Path(args.out_dir))}
    out = {
        "versions": {
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "sklearn": sklearn.__version__,
            "river": river.__version__,
        },
        "datasets": {name: evaluate(path, X, y, args.seeds) for name, (path, X, y) in sets.items()},
    }
    json.dump(out, sys.stdout)


def evaluate(path, X, y, seeds):
    even = np.arange(len(y)) % 2 == 0
    Xe, Xo, ye, yo = X[even], X[~even], y[even], y[~even]
    references = {"contaminated": Xe, "clean": Xe[ye == 0]}
    out = {
        "data_path": path,
        "rows": int(len(y)),
        "features": int(X.shape[1]),
        "anomalies": int(y.sum()),
        "scored_rows": int(len(yo)),
        "scored_anomalies": int(yo.sum()),
        "protocols": {},
    }
    for name, ref in references.items():
        aucs, secs = [], []
        for seed in range(seeds):
            t0 = time.perf_counter()
            forest = IsolationForest(n_estimators=100, max_samples="auto", random_state=seed).fit(ref)
            scores = -forest.score_samples(Xo)
            secs.append(time.perf_counter() - t0)
            aucs.append(float(roc_auc_score(yo, scores)))
        out["protocols"][name] = {
            "reference_rows": int(len(ref)),
            "sklearn_isolation_forest": aucs,
            "sklearn_seconds": secs,
            "numpy_robust_z": float(roc_auc_score(yo, robust_z(ref, Xo))),
            "numpy_iqr": float(roc_auc_score(yo, iqr(ref, Xo))),
            "numpy_mahalanobis": float(roc_auc_score(yo, mahalanobis(ref, Xo))),
        }
    return out


if __name__ == "__main__":
    main()
