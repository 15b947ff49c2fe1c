import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config/load.js";

const dir = mkdtempSync(join(tmpdir(), "driftwatch-multivariate-config-"));
writeFileSync(join(dir, "events.jsonl"), "");
after(() => rmSync(dir, { recursive: true, force: true }));

/** The problems (`PATH MESSAGE`) of a config with these features and monitors (YAML, indented 2); none when it loads. */
function problems(features: string, monitors: string): string[] {
  const file = join(dir, "c.yaml");
  writeFileSync(
    file,
    `sources:
  events: { type: file, path: events.jsonl }
features:
${features}
monitors:
${monitors}
`,
  );
  try {
    loadConfig(file);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((p) => `${p.path} ${p.message}`);
  }
}

const features = `  embedding: { source: events, path: /embedding, type: vector, dimension: 8 }
  x: { source: events, path: /x, type: numeric }
  y: { source: events, path: /y, type: numeric }
  colour: { source: events, path: /colour, type: categorical }`;

const window = "reference: { type: first, events: 50 }, window: { type: tumbling, events: 50 }";

describe("multivariate config", () => {
  it("loads one vector feature, or two or more numeric features, with each test's options", () => {
    assert.deepEqual(
      problems(
        features,
        `  a: { type: multivariate, features: [embedding], test: mmd, options: { permutations: 200 }, sample: 500, seed: 3, ${window} }
  b: { type: multivariate, features: [x, y], test: ks_reduced, ${window} }
  c: { type: multivariate, features: [x, y], test: pca_reconstruction, ${window} }`,
      ),
      [],
    );
  });

  it("names the path of a vector feature without a dimension, and of a dimension on another type", () => {
    assert.deepEqual(
      problems(
        `  embedding: { source: events, path: /embedding, type: vector }
  x: { source: events, path: /x, type: numeric, dimension: 3 }`,
        `  a: { type: multivariate, features: [embedding], test: mmd, ${window} }`,
      ),
      [
        "/features/embedding/type a vector feature needs `dimension`, the numbers in its array",
        "/features/x/dimension `dimension` is for vector features; this one is numeric",
      ],
    );
  });

  it("refuses categorical features, a vector with others, one numeric feature, and vectors in a drift monitor", () => {
    assert.deepEqual(
      problems(
        features,
        `  a: { type: multivariate, features: [x, colour], test: mmd, ${window} }
  b: { type: multivariate, features: [embedding, x], test: mmd, ${window} }
  c: { type: multivariate, features: [x], test: mmd, ${window} }
  d: { type: drift, features: [embedding], ${window} }`,
      ),
      [
        '/monitors/a/features/1 feature "colour" is categorical; a multivariate monitor takes one vector feature or numeric features',
        "/monitors/b/features a vector feature is taken alone: name one vector feature, or two or more numeric features",
        "/monitors/c/features one numeric feature is univariate: use a drift monitor, or name two or more numeric features (or one vector feature)",
        '/monitors/d/features/0 feature "embedding" is a vector; a drift monitor reads numeric and categorical features (a multivariate monitor reads vectors)',
      ],
    );
  });

  it("checks options against the chosen test's own schema", () => {
    const found = problems(
      features,
      `  a: { type: multivariate, features: [embedding], test: mmd, options: { permutation: 200 }, ${window} }
  b: { type: multivariate, features: [x, y], test: mmd, options: { permutations: 0 }, ${window} }`,
    );
    assert.equal(found.length, 2, found.join("\n"));
    assert.match(found[0], /^\/monitors\/a\/options.*permutation/);
    assert.match(found[1], /^\/monitors\/b\/options\/permutations /);
  });

  it("names the options a test refuses together", () => {
    assert.deepEqual(
      problems(
        features,
        `  a: { type: multivariate, features: [x, y], test: classifier, options: { folds: 5, train_size: 0.5 }, ${window} }`,
      ),
      ["/monitors/a/options classifier takes folds or train_size, not both"],
    );
  });

  it("refuses an unknown test, naming the known ones", () => {
    const [problem, ...rest] = problems(
      features,
      `  a: { type: multivariate, features: [x, y], test: energy, ${window} }`,
    );
    assert.deepEqual(rest, []);
    assert.match(problem, /^\/monitors\/a\/test .*mmd/);
  });
});
