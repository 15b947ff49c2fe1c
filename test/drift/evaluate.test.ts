import { strict as assert } from "node:assert";
import { analyzeColumnsParallel } from "../../src/drift/analyze-parallel.js";
import {
  analyzeColumn,
  type ColumnInput,
  decideColumns,
  defaultDriftOptions,
  evaluateColumns,
  testFor,
} from "../../src/drift/evaluate.js";

function numeric(name: string, reference: number[], current: number[]): ColumnInput {
  return {
    name,
    kind: "numeric",
    reference: { kind: "numeric", sorted: Float64Array.from(reference).sort() },
    current: { kind: "numeric", sorted: Float64Array.from(current).sort() },
    missing_reference: 0,
    missing_current: 0,
  };
}

function categorical(
  name: string,
  reference: Record<string, number>,
  current: Record<string, number>,
): ColumnInput {
  return {
    name,
    kind: "categorical",
    reference: { kind: "categorical", counts: new Map(Object.entries(reference)) },
    current: { kind: "categorical", counts: new Map(Object.entries(current)) },
    missing_reference: 1,
    missing_current: 2,
  };
}

const range = (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));

describe("evaluateColumns", () => {
  const inputs = [
    numeric(
      "same",
      range(200, (i) => i),
      range(200, (i) => i + 0.5),
    ),
    numeric(
      "shifted",
      range(200, (i) => i),
      range(200, (i) => i + 60),
    ),
    categorical("colour", { red: 50, blue: 50 }, { red: 80, blue: 15, green: 5 }),
  ];

  it("uses ks for numeric and chi2 for categorical columns by default and reports both sides' categories", () => {
    const e = evaluateColumns(inputs, defaultDriftOptions);
    assert.deepEqual(
      e.columns.map((c) => [c.name, c.test, c.drift]),
      [
        ["same", "ks", false],
        ["shifted", "ks", true],
        ["colour", "chi2", true],
      ],
    );
    const colour = e.columns[2];
    assert.deepEqual(colour.only_in_current, ["green"]);
    assert.deepEqual(colour.only_in_reference, []);
    assert.equal(colour.missing_current, 2);
    assert.deepEqual(e.dataset, {
      columns: 3,
      drifted_columns: 2,
      share: 2 / 3,
      drift_share: 0.5,
      drift: true,
      alpha: 0.05,
      correction: "none",
    });
  });

  it("applies the correction to the p-values before comparing with alpha", () => {
    const none = evaluateColumns(inputs, defaultDriftOptions);
    const bonferroni = evaluateColumns(inputs, { ...defaultDriftOptions, correction: "bonferroni" });
    for (const [i, column] of bonferroni.columns.entries()) {
      assert.equal(column.p_value, none.columns[i].p_value);
      assert.equal(column.p_value_adjusted, Math.min(1, (column.p_value as number) * 3));
    }
  });

  it("holds back drift below the effect-size floor", () => {
    const big = numeric(
      "big",
      range(5000, (i) => i),
      range(5000, (i) => i + 200),
    );
    const plain = evaluateColumns([big], defaultDriftOptions).columns[0];
    assert.equal(plain.drift, true);
    assert.ok(Math.abs((plain.details.effect_size as number) - plain.statistic) < 1e-15);
    const floored = evaluateColumns([big], { ...defaultDriftOptions, min_effect: 0.05 }).columns[0];
    assert.equal(floored.drift, false, `D = ${plain.statistic} is under the floor`);
  });

  it("decides distance tests by threshold and leaves their p-values null", () => {
    const e = evaluateColumns(inputs, {
      ...defaultDriftOptions,
      numeric_test: "psi",
      categorical_test: "jensenshannon",
      threshold: 0.2,
    });
    for (const column of e.columns) {
      assert.equal(column.p_value, null);
      assert.equal(column.p_value_adjusted, null);
      assert.equal(column.threshold, 0.2);
      assert.equal(column.drift, column.statistic >= 0.2);
    }
  });

  it("skips a column with no values on one side instead of failing", () => {
    const e = evaluateColumns([numeric("empty", [1, 2], []), ...inputs], defaultDriftOptions);
    assert.deepEqual(e.skipped, [{ name: "empty", reason: "no values in the current data" }]);
    assert.equal(e.dataset.columns, 3);
  });

  it("names the column when a test cannot apply to its data", () => {
    assert.throws(
      () => evaluateColumns([inputs[2]], { ...defaultDriftOptions, categorical_test: "z" }),
      /column "colour": z: two-proportion z-test needs a binary column, found 3 categories/,
    );
  });
});

describe("analyzeColumnsParallel", () => {
  it("gives exactly the analyses of the single-threaded path, in input order", async () => {
    let seed = 3;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const make = (): ColumnInput[] => {
      seed = 3;
      return [
        numeric(
          "a",
          range(400_000, () => random()),
          range(300_000, () => random() + 0.002),
        ),
        numeric(
          "b",
          range(300_000, () => Math.round(random() * 50)),
          range(200_000, () => Math.round(random() * 51)),
        ),
        categorical("c", { x: 10, y: 20 }, { x: 12, y: 18, z: 1 }),
      ];
    };
    const serial = make().map((input) => analyzeColumn(input, testFor(input.kind, defaultDriftOptions)));
    const parallel = await analyzeColumnsParallel(make(), defaultDriftOptions);
    assert.deepEqual(parallel, serial);
    assert.deepEqual(
      decideColumns(parallel, defaultDriftOptions),
      decideColumns(serial, defaultDriftOptions),
    );
  });
});
