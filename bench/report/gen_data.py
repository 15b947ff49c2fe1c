"""Writes the reference/current CSV pair for `npm run bench:report`.

Usage: gen_data.py OUT_DIR [ROWS]

20 columns: 16 numeric, 4 categorical. Some columns are identical in distribution on both sides,
some have a shift so small that the p-value stays above 0 (1e-4 .. 1e-180 with 1M rows, which is
where a p-value comparison with scipy means something), and some are shifted so much that the
p-value underflows to 0. Every column of every side draws from its own PCG64 stream spawned from one
seed, so the files are byte-for-byte reproducible with the pinned numpy and pyarrow.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

SEED = 20240611

# name -> (kind, drift); drift is "none", "small" (p-value in (0, 1e-3] with 1M rows) or "large" (p-value 0).
COLUMNS: dict[str, tuple[str, str]] = {
    "n00_normal": ("numeric", "none"),
    "n01_normal_mean": ("numeric", "large"),
    "n02_normal_tiny_mean": ("numeric", "small"),
    "n03_lognormal": ("numeric", "none"),
    "n04_lognormal_sigma": ("numeric", "large"),
    "n05_exponential": ("numeric", "none"),
    "n06_exponential_tiny_scale": ("numeric", "small"),
    "n07_uniform": ("numeric", "none"),
    "n08_uniform_range": ("numeric", "large"),
    "n09_gamma": ("numeric", "none"),
    "n10_poisson": ("numeric", "none"),
    "n11_poisson_tiny_rate": ("numeric", "small"),
    "n12_bimodal_tiny_weight": ("numeric", "small"),
    "n13_student_t": ("numeric", "none"),
    "n14_normal_missing": ("numeric", "none"),
    "n15_price_inflation": ("numeric", "small"),
    "c00_color": ("categorical", "none"),
    "c01_country_tiny": ("categorical", "small"),
    "c02_device": ("categorical", "large"),
    "c03_plan_new_category": ("categorical", "large"),
}


def numeric(name: str, current: bool, rng: np.random.Generator, n: int) -> np.ndarray:
    c = current
    if name == "n00_normal":
        x = rng.normal(0.0, 1.0, n)
    elif name == "n01_normal_mean":
        x = rng.normal(0.25 if c else 0.0, 1.0, n)
    elif name == "n02_normal_tiny_mean":
        x = rng.normal(0.008 if c else 0.0, 1.0, n)
    elif name == "n03_lognormal":
        x = rng.lognormal(3.0, 0.8, n)
    elif name == "n04_lognormal_sigma":
        x = rng.lognormal(3.0, 0.9 if c else 0.8, n)
    elif name == "n05_exponential":
        x = rng.exponential(2.0, n)
    elif name == "n06_exponential_tiny_scale":
        x = rng.exponential(2.02 if c else 2.0, n)
    elif name == "n07_uniform":
        x = rng.uniform(0.0, 100.0, n)
    elif name == "n08_uniform_range":
        x = rng.uniform(0.0, 110.0 if c else 100.0, n)
    elif name == "n09_gamma":
        x = rng.gamma(2.0, 1.5, n)
    elif name == "n10_poisson":
        return rng.poisson(200.0, n).astype(np.float64)
    elif name == "n11_poisson_tiny_rate":
        return rng.poisson(50.06 if c else 50.0, n).astype(np.float64)
    elif name == "n12_bimodal_tiny_weight":
        w = 0.505 if c else 0.5
        left = rng.random(n) < w
        x = np.where(left, rng.normal(-2.0, 1.0, n), rng.normal(2.0, 1.0, n))
    elif name == "n13_student_t":
        x = rng.standard_t(3.0, n)
    elif name == "n14_normal_missing":
        x = rng.normal(10.0, 3.0, n)
        x[rng.random(n) < 0.01] = np.nan
    elif name == "n15_price_inflation":
        return np.round(rng.lognormal(2.5, 0.6, n) * (1.03 if c else 1.0), 2)
    else:
        raise KeyError(name)
    return np.round(x, 4)


def categorical(name: str, current: bool, rng: np.random.Generator, n: int) -> pa.Array:
    c = current
    if name == "c00_color":
        cats = ["red", "green", "blue", "black", "white"]
        p = np.array([0.3, 0.25, 0.2, 0.15, 0.1])
    elif name == "c01_country_tiny":
        cats = [f"country_{i:02d}" for i in range(30)]
        p = 1.0 / np.arange(1, 31) ** 1.1
        p /= p.sum()
        if c:
            p = p.copy()
            p[0] += 0.0022
            p[1] -= 0.0022
    elif name == "c02_device":
        cats = ["desktop", "mobile", "tablet"]
        p = np.array([0.45, 0.45, 0.1]) if c else np.array([0.5, 0.42, 0.08])
    elif name == "c03_plan_new_category":
        cats = ["free", "basic", "plus", "pro", "team", "business", "enterprise", "legacy"]
        p = np.array([0.4, 0.2, 0.12, 0.1, 0.08, 0.05, 0.03, 0.02])
        if c:
            cats = cats[:-1] + ["enterprise_plus"]  # "legacy" gone, a category never seen before
            p = np.array([0.38, 0.2, 0.12, 0.1, 0.08, 0.05, 0.03, 0.04])
    else:
        raise KeyError(name)
    codes = rng.choice(len(cats), size=n, p=p / p.sum()).astype(np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(cats)).cast(pa.string())


def write(path: str, current: bool, n: int) -> None:
    streams = np.random.SeedSequence(SEED).spawn(2 * len(COLUMNS))
    arrays = []
    for i, (name, (kind, _)) in enumerate(COLUMNS.items()):
        rng = np.random.Generator(np.random.PCG64(streams[2 * i + (1 if current else 0)]))
        if kind == "numeric":
            x = numeric(name, current, rng, n)
            arr = pa.array(x, mask=np.isnan(x))
            if name in ("n10_poisson", "n11_poisson_tiny_rate"):
                arr = arr.cast(pa.int64())
            arrays.append(arr)
        else:
            arrays.append(categorical(name, current, rng, n))
    table = pa.table(arrays, names=list(COLUMNS))
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write((",".join(COLUMNS) + "\n").encode())
        options = pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=65536)
        pacsv.write_csv(table, f, options)
    os.replace(tmp, path)


def main() -> None:
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    os.makedirs(out, exist_ok=True)
    for side in ("reference", "current"):
        t0 = time.perf_counter()
        path = os.path.join(out, f"{side}.csv")
        write(path, side == "current", n)
        size = os.path.getsize(path) / 2**20
        print(f"  wrote {path}: {n} rows, {size:.0f} MiB in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
