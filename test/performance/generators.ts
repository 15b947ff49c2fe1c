/**
 * The large fixture cases, regenerated from their recipe instead of stored: the same mulberry32
 * draws and the same +, −, ×, ÷ and floor as `generate` in test/fixtures/sklearn/metrics.py, which
 * IEEE 754 makes identical in both languages, so the rows are bit for bit those sklearn saw.
 */

import type { ClassificationObservation, RegressionObservation } from "../../src/performance/types.js";

/** A large case's recipe, as stored in metrics.json. */
export interface Recipe {
  kind: "binary_grid" | "binary_continuous" | "multiclass" | "regression" | "regression_offset";
  seed: number;
  n: number;
  labels?: string[];
}

/** mulberry32 (Tommy Ettinger) with 53-bit uniform doubles, as the Python `Mulberry32`. */
export class Mulberry32 {
  private a: number;
  constructor(seed: number) {
    this.a = seed | 0;
  }
  nextU32(): number {
    this.a = (this.a + 0x6d2b79f5) | 0;
    const a = this.a;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  }
  uniform(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }
  bell(): number {
    let s = 0;
    for (let i = 0; i < 12; i++) s += this.uniform();
    return s - 6;
  }
}

/** The classification observations of a recipe. */
export function generateClassification(recipe: Recipe): ClassificationObservation[] {
  const g = new Mulberry32(recipe.seed);
  const out: ClassificationObservation[] = [];
  for (let i = 0; i < recipe.n; i++) {
    if (recipe.kind === "binary_grid") {
      const s = Math.floor(g.uniform() * 1000) / 1000;
      const actual = g.uniform() < 0.05 + 0.9 * s ? "1" : "0";
      out.push({ actual, predicted: s >= 0.5 ? "1" : "0", score: s });
    } else if (recipe.kind === "binary_continuous") {
      const s = g.uniform();
      const actual = g.uniform() < s * s ? "1" : "0";
      out.push({ actual, predicted: s >= 0.6 ? "1" : "0", score: s });
    } else if (recipe.kind === "multiclass") {
      const labels = recipe.labels as string[];
      const k = labels.length;
      const t = Math.floor(g.uniform() * k);
      const w: number[] = [];
      for (let c = 0; c < k; c++) w.push(g.uniform() + (c === t ? 0.5 : 0));
      let total = 0;
      for (const x of w) total += x;
      const p = w.map((x) => x / total);
      let best = 0;
      for (let c = 1; c < k; c++) if (p[c] > p[best]) best = c;
      const probabilities: Record<string, number> = {};
      labels.forEach((label, c) => {
        probabilities[label] = p[c];
      });
      out.push({ actual: labels[t], predicted: labels[best], probabilities });
    } else {
      throw new RangeError(`not a classification recipe: ${recipe.kind}`);
    }
  }
  return out;
}

/** The regression observations of a recipe. */
export function generateRegression(recipe: Recipe): RegressionObservation[] {
  const g = new Mulberry32(recipe.seed);
  const out: RegressionObservation[] = [];
  for (let i = 0; i < recipe.n; i++) {
    if (recipe.kind === "regression") {
      let y = 50 + 10 * g.bell();
      if (i % 997 === 0) y = 0;
      out.push({ actual: y, predicted: y + 3 * g.bell() + 0.5 });
    } else if (recipe.kind === "regression_offset") {
      const y = 1e6 + g.bell();
      out.push({ actual: y, predicted: y + 0.5 * g.bell() });
    } else {
      throw new RangeError(`not a regression recipe: ${recipe.kind}`);
    }
  }
  return out;
}
