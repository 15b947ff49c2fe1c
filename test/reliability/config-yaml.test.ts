import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { driftwatch, type Outcome } from "../support/cli.js";

/**
 * Hostile config and suite files: each must end as one ConfigError problem (exit 2, a line naming
 * the file and, where there is one, the line), never a stack trace or a hang. Found by feeding
 * `driftwatch validate` a "billion laughs" YAML, which crashed it with an uncaught ReferenceError.
 */

/** One config problem: exit 2, the file's header line, exactly one problem line, no stack. */
function assertOneProblem(outcome: Outcome, file: string, pattern: RegExp): string {
  assert.equal(outcome.code, 2, `exit code (stderr: ${outcome.stderr.slice(0, 2000)})`);
  assert.ok(!/^\s+at /m.test(outcome.stderr), `no stack trace in: ${outcome.stderr.slice(0, 2000)}`);
  const lines = outcome.stderr.trimEnd().split("\n");
  // Files are named relative to the working directory, as the loader shows them.
  assert.equal(
    lines[0],
    `driftwatch: ${relative(process.cwd(), file)}: 1 problem`,
    outcome.stderr.slice(0, 2000),
  );
  assert.equal(lines.length, 2, `one problem line in: ${outcome.stderr.slice(0, 2000)}`);
  assert.match(lines[1], pattern);
  return lines[1];
}

// Nine levels of nine aliases each: 9^9 (387 million) strings once expanded.
const laughs = `${["a", "b", "c", "d", "e", "f", "g", "h", "i"]
  .map((name, i, all) =>
    i === 0
      ? `${name}: &${name} ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]`
      : `${name}: &${name} [${Array(9)
          .fill(`*${all[i - 1]}`)
          .join(", ")}]`,
  )
  .join("\n")}\n`;

/** A chain of maps, each merging the previous one twice (`<<: [*p, *p]`): 2^n values expanded. */
function mergeChain(levels: number): string {
  const lines = ["m0: &m0 { x: 1, y: 2 }"];
  for (let i = 1; i <= levels; i++)
    lines.push(`m${i}: &m${i}`, `  <<: [*m${i - 1}, *m${i - 1}]`, `  k${i}: 1`);
  return `${lines.join("\n")}\n`;
}

const validConfig = (events: string): string => `sources:
  inputs: { type: file, path: events.jsonl }
features:
  x: { source: inputs, path: /x, type: numeric }
monitors:
  m:
    type: drift
    features: [x]
    reference: { type: first, events: 10 }
    window: { type: tumbling, events: ${events} }
`;

describe("config loader on hostile YAML", () => {
  let dir = "";
  const file = (name: string, content: string | Buffer): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  before(() => {
    assert.ok(existsSync("dist/cli/main.js"), "run `npm run build` first (npm test does)");
    dir = mkdtempSync(join(tmpdir(), "driftwatch-config-yaml-"));
    file("events.jsonl", '{"x":1}\n');
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("reports a billion-laughs alias expansion as one config problem with its line", () => {
    const path = file("laughs.yaml", laughs);
    const line = assertOneProblem(
      driftwatch("validate", "--config", path),
      path,
      /^ {2}line \d+: \/\w+ +aliases expand this value to more than 1000000 values/,
    );
    // The first value too big once expanded: "g" holds 9^7 strings.
    assert.match(line, /line 7: \/g /);
  });

  it("reports a chain of merge-key aliases as one config problem", () => {
    const path = file("merge.yaml", mergeChain(40));
    assertOneProblem(
      driftwatch("validate", "--config", path),
      path,
      /^ {2}line \d+: \/m\d+\/<< +aliases expand this value to more than 1000000 values/,
    );
  });

  it("says that merge keys are not supported when a short chain expands within bounds", () => {
    const path = file("merge-short.yaml", `${validConfig("5")}defaults: &d { a: 1 }\nmetrics:\n  <<: *d\n`);
    const r = driftwatch("validate", "--config", path);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /\/metrics\/<< +YAML merge keys \(<<\) are not supported/);
    assert.ok(!/^\s+at /m.test(r.stderr), r.stderr);
  });

  it("reports an alias to a value that contains it as a cycle", () => {
    const path = file("cycle.yaml", `${validConfig("5")}x: &loop\n  - 1\n  - *loop\n`);
    const r = driftwatch("validate", "--config", path);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(!/^\s+at /m.test(r.stderr), r.stderr);
    assert.match(r.stderr, /line \d+: \/x\/1 +alias \*loop refers to a value that contains it/);
  });

  it("rejects 1e999 and other numbers that are not finite, with their line", () => {
    const path = file("inf.yaml", validConfig("1e999"));
    assertOneProblem(
      driftwatch("validate", "--config", path),
      path,
      /^ {2}line 10: \/monitors\/m\/window\/events +not a finite number \(got 1e999\)/,
    );
    const nan = file("nan.yaml", validConfig(".nan"));
    assertOneProblem(
      driftwatch("validate", "--config", nan),
      nan,
      /\/monitors\/m\/window\/events +not a finite number \(got \.nan\)/,
    );
  });

  it("rejects integers beyond 2^53 - 1, which lose precision", () => {
    const path = file("big.yaml", validConfig("12345678901234567890"));
    assertOneProblem(
      driftwatch("validate", "--config", path),
      path,
      /^ {2}line 10: \/monitors\/m\/window\/events +beyond ±9007199254740991 .*\(got 12345678901234567890\)/,
    );
    const exp = file("big-exp.yaml", validConfig("1e30"));
    assertOneProblem(driftwatch("validate", "--config", exp), exp, /\/monitors\/m\/window\/events +beyond/);
    // The largest safe integer itself is a number the schema judges (valid here).
    const ok = driftwatch("validate", "--config", file("max.yaml", validConfig("9007199254740991")));
    assert.equal(ok.code, 0, ok.stderr);
  });

  it("reports a file nested deeper than 64 levels, however deep, as one problem", () => {
    for (const depth of [65, 5_000, 200_000]) {
      const path = file(
        `deep-${depth}.yaml`,
        `${validConfig("5")}x: ${"[".repeat(depth)}${"]".repeat(depth)}\n`,
      );
      assertOneProblem(
        driftwatch("validate", "--config", path),
        path,
        // The walk names the value; the parser, when its own stack runs out first, only the line.
        /^ {2}line 11: (\/x\S* +nested deeper than 64 levels|\/ +nested too deeply to parse)/,
      );
    }
    const block = file(
      "deep-block.yaml",
      `${validConfig("5")}x:\n${Array.from({ length: 3000 }, (_, i) => `${" ".repeat(i + 1)}k:`).join("\n")} 1\n`,
    );
    assertOneProblem(
      driftwatch("validate", "--config", block),
      block,
      /nested (deeper than 64 levels|too deeply to parse)/,
    );
  });

  it("refuses a config file larger than 16 MiB before parsing it", () => {
    const path = file("huge.yaml", `${validConfig("5")}# ${"x".repeat(16 << 20)}\n`);
    assertOneProblem(
      driftwatch("validate", "--config", path),
      path,
      /^ {2}\/ +16777\d{3} bytes, more than the 16777216 \(16 MiB\) a config or suite file may have/,
    );
  });

  it("reports binary data as one problem naming the line of the first control byte", () => {
    const bytes = Buffer.concat([Buffer.from(validConfig("5")), Buffer.from([0x00, 0x01, 0x9c, 0xff, 0x0a])]);
    const path = file("binary.yaml", bytes);
    assertOneProblem(
      driftwatch("validate", "--config", path),
      path,
      /^ {2}line 11: \/ +(binary data|not UTF-8)/,
    );
    const random = Buffer.alloc(4096);
    let seed = 7;
    for (let i = 0; i < random.length; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      random[i] = seed >>> 16;
    }
    const noise = file("noise.yaml", random);
    assertOneProblem(
      driftwatch("validate", "--config", noise),
      noise,
      /^ {2}line \d+: \/ +(binary data|not UTF-8)/,
    );
  });

  it("reports text that is not UTF-8 with the line of the first bad byte", () => {
    const path = file("latin1.yaml", Buffer.from(`${validConfig("5")}# caf\xe9\n`, "latin1"));
    assertOneProblem(
      driftwatch("validate", "--config", path),
      path,
      /^ {2}line 11: \/ +not UTF-8 text: byte 0xe9 cannot start or continue a character/,
    );
  });

  it("loads suites through the same checks: a hostile suite is one problem before any data is read", () => {
    const suite = file("laughs-suite.yaml", laughs);
    const r = driftwatch(
      "report",
      "--reference",
      "drift/examples/seattle-weather-2012.csv",
      "--current",
      "drift/examples/seattle-weather-2015.csv",
      "--suite",
      suite,
    );
    assertOneProblem(r, suite, /aliases expand this value to more than 1000000 values/);
    const latin = file("latin1-suite.yaml", Buffer.from("name: caf\xe9\nexpectations: []\n", "latin1"));
    assertOneProblem(
      driftwatch(
        "report",
        "--reference",
        "drift/examples/seattle-weather-2012.csv",
        "--current",
        "drift/examples/seattle-weather-2015.csv",
        "--suite",
        latin,
      ),
      latin,
      /line 1: \/ +not UTF-8 text/,
    );
  });

  it("still accepts aliases used many times within bounds", () => {
    // yaml's own guard (maxAliasCount: 100) refused a window shared by more than 100 monitors.
    const monitors = Array.from(
      { length: 150 },
      (_, i) =>
        `  m${i}:\n    type: drift\n    features: [x]\n    reference: { type: first, events: 10 }\n` +
        `    window: ${i === 0 ? "&w { type: tumbling, events: 5 }" : "*w"}\n`,
    ).join("");
    const head = validConfig("5").slice(0, validConfig("5").indexOf("monitors:"));
    const r = driftwatch("validate", "--config", file("aliases.yaml", `${head}monitors:\n${monitors}`));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /valid \(1 sources, 1 features, 150 monitors\)/);
  });
});
