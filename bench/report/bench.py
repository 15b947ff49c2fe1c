"""Runs and compares driftwatch, the scipy loop and Evidently for `npm run bench:report`.

Usage: bench.py --data DIR --work DIR [--rounds N] [--evidently-runs N] [--no-driftwatch]
                [--no-evidently]

Every measured program is its own process, started with subprocess.Popen and reaped with os.wait4,
whose rusage gives that child's own peak RSS (ru_maxrss) and CPU time. Wall time is taken around
the process with time.perf_counter. Runs are interleaved round by round (driftwatch, scipy,
Evidently), so a burst of load from other work on the machine hits all three alike; each side's
figure is its best (smallest) wall time, and the largest peak RSS seen over its runs. Then the
p-values of driftwatch's JSON report are compared with scipy's, column by column.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PYTHON = sys.executable
P_GOAL = 1e-6


@dataclass
class Run:
    wall: float
    cpu: float
    rss_kib: int
    ok: bool
    out: str


@dataclass
class Side:
    name: str
    argv_for: object  # callable(out_path) -> list[str]
    env: dict[str, str]
    runs: list[Run] = field(default_factory=list)

    @property
    def good(self) -> list[Run]:
        return [r for r in self.runs if r.ok]

    def best_wall(self) -> float:
        return min(r.wall for r in self.good)

    def best_cpu(self) -> float:
        return min(r.cpu for r in self.good)

    def peak_rss(self) -> int:
        return max(r.rss_kib for r in self.good)


def measure(side: Side, out: str, log: str) -> Run:
    argv = side.argv_for(out)
    with open(log, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=ROOT, env=side.env, stdin=subprocess.DEVNULL,
                                stdout=err, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    ok = proc.returncode == 0 and os.path.exists(out)
    run = Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, ok, out)
    mark = "" if ok else f"  FAILED (exit {proc.returncode}), see {log}"
    print(f"  {side.name:<10} wall {wall:7.2f} s  cpu {run.cpu:7.2f} s  peak RSS {run.rss_kib / 1024:7.0f} MiB{mark}",
          flush=True)
    if not ok:
        with open(log, errors="replace") as f:
            tail = f.read()[-2000:]
        print("    " + tail.replace("\n", "\n    "))
    return run


def rel_diff(a: float | None, b: float | None) -> float:
    if a is None or b is None:
        return math.inf
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


def compare_pvalues(dw_path: str, sp_path: str) -> dict:
    with open(dw_path) as f:
        dw = json.load(f)
    with open(sp_path) as f:
        sp = json.load(f)
    by_name = {c["name"]: c for c in dw.get("columns", [])}
    rows, problems = [], []
    for s in sp["columns"]:
        d = by_name.get(s["name"])
        if d is None:
            problems.append(f"{s['name']}: missing from driftwatch's columns[]")
            continue
        if d.get("test") != s["test"]:
            problems.append(f"{s['name']}: driftwatch ran test {d.get('test')!r}, scipy loop ran {s['test']!r}")
            continue
        rows.append({
            "name": s["name"], "test": s["test"],
            "p_scipy": s["p_value"], "p_driftwatch": d.get("p_value"),
            "stat_scipy": s["statistic"], "stat_driftwatch": d.get("statistic"),
            "rel_p": rel_diff(d.get("p_value"), s["p_value"]),
            "rel_stat": rel_diff(d.get("statistic"), s["statistic"]),
        })
    print(f"\n{'column':<28} {'test':<5} {'p scipy':>12} {'p driftwatch':>12} {'rel diff p':>10} {'rel diff stat':>13}")
    for r in rows:
        pdw = "null" if r["p_driftwatch"] is None else f"{r['p_driftwatch']:.6g}"
        print(f"{r['name']:<28} {r['test']:<5} {r['p_scipy']:>12.6g} {pdw:>12} {r['rel_p']:>10.2e} {r['rel_stat']:>13.2e}")
    for p in problems:
        print(f"  ! {p}")
    max_p = max((r["rel_p"] for r in rows), default=math.nan)
    max_s = max((r["rel_stat"] for r in rows), default=math.nan)
    return {"columns": rows, "problems": problems, "max_rel_p": max_p, "max_rel_stat": max_s}


def same_columns(paths: list[str]) -> bool:
    """Whether every driftwatch run wrote the same columns[] (the report must be deterministic)."""
    docs = []
    for p in paths:
        with open(p) as f:
            docs.append(json.dumps(json.load(f).get("columns"), sort_keys=True))
    return all(d == docs[0] for d in docs)


def evidently_drift_count(path: str) -> str:
    try:
        with open(path) as f:
            snap = json.load(f)
        for m in snap.get("metrics", []):
            if m.get("metric_name", "").startswith("DriftedColumnsCount"):
                return f"{m['value']['count']:.0f}"
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return "?"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--evidently-runs", type=int, default=1)
    ap.add_argument("--no-driftwatch", action="store_true")
    ap.add_argument("--no-evidently", action="store_true")
    args = ap.parse_args()

    ref = os.path.join(args.data, "reference.csv")
    cur = os.path.join(args.data, "current.csv")
    os.makedirs(args.work, exist_ok=True)

    node_env = dict(os.environ)
    # The pinned numpy/scipy get the machine's default OpenBLAS kernel, not the conservative one
    # that OPENBLAS_CORETYPE forces here for older builds (see /work/.library/env/README.md).
    py_env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    py_env["DO_NOT_TRACK"] = "1"

    sides: dict[str, Side] = {}
    if not args.no_driftwatch:
        sides["driftwatch"] = Side("driftwatch", lambda out: [
            "node", "bin/driftwatch.js", "report", "--reference", ref, "--current", cur,
            "--format", "json", "--out", out, "--quiet"], node_env)
    sides["scipy"] = Side("scipy", lambda out: [
        PYTHON, os.path.join(HERE, "scipy_peer.py"), ref, cur, out], py_env)
    if not args.no_evidently and args.evidently_runs > 0:
        sides["evidently"] = Side("evidently", lambda out: [
            PYTHON, os.path.join(HERE, "evidently_peer.py"), ref, cur, out], py_env)

    # Warm the page cache so that the first program measured does not pay for the disk.
    for p in (ref, cur):
        with open(p, "rb") as f:
            while f.read(1 << 24):
                pass

    for r in range(args.rounds):
        print(f"round {r + 1}/{args.rounds}", flush=True)
        for side in sides.values():
            if side.name == "evidently" and r >= args.evidently_runs:
                continue
            out = os.path.join(args.work, f"{side.name}-{r + 1}.json")
            if os.path.exists(out):
                os.remove(out)
            side.runs.append(measure(side, out, os.path.join(args.work, f"{side.name}-{r + 1}.log")))

    failed = [s.name for s in sides.values() if not s.good]
    summary: dict = {"sides": {}, "ratios": {}}
    print("\n== timings (best wall time; peak RSS = largest over the runs) ==")
    print(f"{'':<11} {'runs':>4} {'best wall s':>11} {'median s':>9} {'best cpu s':>10} {'peak RSS MiB':>12}")
    for s in sides.values():
        if not s.good:
            print(f"{s.name:<11} no successful run")
            continue
        walls = [r.wall for r in s.good]
        print(f"{s.name:<11} {len(walls):>4} {s.best_wall():>11.2f} {statistics.median(walls):>9.2f} "
              f"{s.best_cpu():>10.2f} {s.peak_rss() / 1024:>12.0f}")
        summary["sides"][s.name] = {"walls": walls, "best_wall": s.best_wall(), "best_cpu": s.best_cpu(),
                                    "peak_rss_mib": s.peak_rss() / 1024}

    dw = sides.get("driftwatch")
    if dw is not None and dw.good:
        print("\n== ratios against driftwatch (same run) ==")
        goals = {"evidently": 10.0, "scipy": 1.0}
        for name in ("evidently", "scipy"):
            s = sides.get(name)
            if s is None or not s.good:
                continue
            t = s.best_wall() / dw.best_wall()
            c = s.best_cpu() / dw.best_cpu()
            m = s.peak_rss() / dw.peak_rss()
            verdict = "met" if t >= goals[name] else "NOT met"
            print(f"{name:>9} / driftwatch: wall time x{t:.2f} (goal >= {goals[name]:g}: {verdict}), "
                  f"cpu time x{c:.2f}, peak RSS x{m:.2f}")
            summary["ratios"][name] = {"wall": t, "cpu": c, "rss": m}

        sp = sides.get("scipy")
        if sp is not None and sp.good:
            cmp = compare_pvalues(dw.good[-1].out, sp.good[-1].out)
            verdict = "met" if cmp["max_rel_p"] <= P_GOAL and not cmp["problems"] else "NOT met"
            print(f"\nmax relative p-value difference vs scipy: {cmp['max_rel_p']:.3g} "
                  f"(goal <= {P_GOAL:g}: {verdict}); max relative statistic difference: {cmp['max_rel_stat']:.3g}")
            summary["pvalues"] = cmp
        if len(dw.good) > 1:
            same = same_columns([r.out for r in dw.good])
            print(f"driftwatch columns[] identical across its {len(dw.good)} runs: {'yes' if same else 'NO'}")
        with open(dw.good[-1].out) as f:
            ds = json.load(f).get("dataset", {})
        ev = sides.get("evidently")
        ev_count = evidently_drift_count(ev.good[-1].out) if ev is not None and ev.good else "-"
        print(f"drifted columns: driftwatch {ds.get('drifted_columns', '?')}/{ds.get('columns', '?')}, "
              f"Evidently (its default Wasserstein/Jensen-Shannon tests) {ev_count}/20")
    elif dw is None:
        print("\n(driftwatch not run: no ratios and no p-value comparison)")

    with open(os.path.join(args.work, "results.json"), "w") as f:
        json.dump(summary, f, indent=1, default=str)
    if failed:
        print(f"\nFAILED: {', '.join(failed)} had no successful run")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
