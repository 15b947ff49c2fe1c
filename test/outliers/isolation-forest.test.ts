import assert from "node:assert/strict";
import {
  averagePathLength,
  fitIsolationForest,
  isolationForestScore,
} from "../../src/outliers/isolation-forest.js";
import { seededRandom } from "../../src/stats/prng.js";
import { assertClose } from "../support/stats.js";
import { fixture } from "./fixture.js";

/** Standard normal draws (Box–Muller) from the seeded generator. */
function normals(seed: number, count: number): number[] {
  const random = seededRandom(seed);
  const out: number[] = [];
  while (out.length < count) {
    const u = 1 - random();
    const v = random();
    out.push(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  }
  return out;
}

/** 500 rows of a 3-d standard normal plus 10 planted anomalies at distance 6 along a diagonal. */
function planted(): { rows: number[][]; labels: number[] } {
  const z = normals(11, 1500);
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < 500; i++) {
    rows.push([z[3 * i], z[3 * i + 1], z[3 * i + 2]]);
    labels.push(0);
  }
  for (let i = 0; i < 10; i++) {
    const s = i % 2 === 0 ? 1 : -1;
    rows.push([(s * 6) / Math.sqrt(3), (s * 6) / Math.sqrt(3), (-s * 6) / Math.sqrt(3)]);
    labels.push(1);
  }
  return { rows, labels };
}

/** ROC AUC as the Mann–Whitney probability that an anomaly outscores a normal row (ties count ½). */
function auc(scores: number[], labels: number[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((a, i) => {
    if (labels[i] !== 1) return;
    scores.forEach((b, j) => {
      if (labels[j] !== 0) return;
      pairs++;
      wins += a > b ? 1 : a === b ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe("isolation forest", () => {
  it("normalises by scikit-learn's _average_path_length c(n)", () => {
    const { n, c } = fixture.average_path_length;
    n.forEach((size, i) => {
      assertClose(averagePathLength(size), c[i], 1e-15, 0, `c(${size})`);
    });
  });

  it("grows the same forest from the same seed and a different one from another seed", () => {
    const { rows } = planted();
    const a = fitIsolationForest(rows, { seed: 3, n_estimators: 20 });
    const b = fitIsolationForest(rows, { seed: 3, n_estimators: 20 });
    const c = fitIsolationForest(rows, { seed: 4, n_estimators: 20 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.trees, c.trees);
  });

  it("uses ψ = min(256, n) rows per tree and the height limit ceil(log2 ψ)", () => {
    const { rows } = planted();
    const model = fitIsolationForest(rows, { seed: 1 });
    assert.equal(model.sample_size, 256);
    assert.equal(model.trees.length, 100);
    for (const tree of model.trees) {
      const depth = new Array<number>(tree.feature.length).fill(0);
      tree.feature.forEach((f, i) => {
        if (f < 0) {
          assert.ok(depth[i] <= 8, "leaf deeper than ceil(log2 256)");
          assert.ok(tree.path_length[i] >= depth[i], "path length is the depth plus c(rows) ≥ 0");
        } else {
          depth[i + 1] = depth[i] + 1;
          depth[tree.right[i]] = depth[i] + 1;
        }
      });
    }
    assert.equal(fitIsolationForest(rows.slice(0, 40), { seed: 1 }).sample_size, 40);
  });

  it("ranks planted anomalies above the normal rows (AUC ≥ 0.99) with scores in (0, 1]", () => {
    const { rows, labels } = planted();
    const model = fitIsolationForest(rows, { seed: 42 });
    const scores = rows.map((row) => isolationForestScore(model, row));
    for (const s of scores) assert.ok(s > 0 && s <= 1);
    assert.ok(auc(scores, labels) >= 0.99, `AUC ${auc(scores, labels)}`);
    // Liu et al.: s well above 0.5 for anomalies, at or below about 0.5 for the bulk
    assert.ok(Math.min(...scores.slice(500)) > 0.6);
    const sorted = scores.slice(0, 500).sort((x, y) => x - y);
    assert.ok(sorted[250] < 0.5);
  });

  it("scores each row as the walk down every tree of the model says, also for a model read back from JSON", () => {
    // The scorer walks a compiled copy of the forest; this walks the model's own arrays.
    const { rows } = planted();
    const model = fitIsolationForest(rows, { seed: 3, n_estimators: 40, max_samples: 64 });
    const walk = (row: number[]): number => {
      let total = 0;
      for (const tree of model.trees) {
        let i = 0;
        while (tree.feature[i] >= 0) i = row[tree.feature[i]] <= tree.threshold[i] ? i + 1 : tree.right[i];
        total += tree.path_length[i];
      }
      return 2 ** -(total / model.trees.length / averagePathLength(model.sample_size));
    };
    const revived = JSON.parse(JSON.stringify(model));
    for (const row of rows) {
      assert.equal(isolationForestScore(model, row), walk(row));
      assert.equal(isolationForestScore(revived, row), walk(row));
    }
  });

  it("scores identical reference rows 0.5 everywhere (nothing can be isolated)", () => {
    const model = fitIsolationForest(
      Array.from({ length: 10 }, () => [1, 2]),
      { seed: 5, n_estimators: 3 },
    );
    assert.equal(isolationForestScore(model, [1, 2]), 0.5);
    assert.equal(isolationForestScore(model, [100, -100]), 0.5);
  });

  it("treats a missing feature as the reference median", () => {
    const { rows } = planted();
    const model = fitIsolationForest(rows, { seed: 9, n_estimators: 25 });
    assert.equal(
      isolationForestScore(model, [null, 0.3, Number.NaN]),
      isolationForestScore(model, [model.median[0], 0.3, model.median[2]]),
    );
  });
});
