import { strict as assert } from "node:assert";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import type { DriftReport } from "../../src/report/model.js";
import { BIN, type Outcome, scratch } from "../support/cli.js";

const { dir, file } = scratch("driftwatch-reads-once-");

/** How long a report of a few hundred rows may take before it counts as stuck on a second read. */
const STUCK_MS = 60_000;

interface Row {
  x: number;
  y: number | null;
  region: string;
  code: number | string;
  label: string;
  pred: string;
  p: number;
}

/**
 * Rows with every kind of column a section reads: numeric features (one with gaps) for drift and
 * outliers, a category, label / prediction / score for model quality, and `code`, numeric in the
 * reference but partly text in the current file (a column read as text on both sides).
 */
function rows(current: boolean): Row[] {
  return Array.from({ length: 300 }, (_, i) => {
    const x = Math.sin(i * 1.3) * 2 + (current ? 0.4 : 0);
    const p = 1 / (1 + Math.exp(-(x - 0.5) * 3));
    return {
      x: i === 17 && current ? 40 : Number(x.toFixed(4)),
      y: i % 11 === 0 ? null : Number(Math.cos(i * 0.7).toFixed(4)),
      region: i % 3 === 0 ? "eu" : "us",
      code: current && i % 50 === 7 ? `A${i}` : i % 5,
      label: x + Math.sin(i * 5.1) * 0.3 > 0.5 ? "churn" : "stay",
      pred: p > 0.5 ? "churn" : "stay",
      p: Number(p.toFixed(4)),
    };
  });
}

const csv = (data: Row[]): string =>
  `x,y,region,code,label,pred,p\n${data
    .map((r) => [r.x, r.y ?? "", r.region, r.code, r.label, r.pred, r.p].join(","))
    .join("\n")}\n`;
const jsonl = (data: Row[]): string => `${data.map((r) => JSON.stringify(r)).join("\n")}\n`;

const SUITE = file(
  "suite.yaml",
  `name: reads-once
expectations:
  - type: expect_schema_to_match_reference
    kwargs: {}
  - type: expect_column_values_to_be_between
    kwargs: { column: x, min_value: -3, max_value: 3 }
  - type: expect_column_values_to_not_be_null
    kwargs: { column: y }
  - type: expect_column_values_to_be_in_set
    kwargs: { column: region, value_set: [eu, us] }
`,
);

/** Runs `driftwatch ARGS...` without blocking, so that this process can feed its pipes. */
function run(args: string[]): { done: Promise<Outcome>; child: ChildProcess } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (s: string) => (stdout += s));
  child.stderr?.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  const done = new Promise<Outcome>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
  return { done, child };
}

/** A named pipe that a `cat` child fills once from `source`. */
function pipeOf(name: string, source: string): { path: string; writer: ChildProcess } {
  const path = join(dir, name);
  execFileSync("mkfifo", [path]);
  const writer = spawn("sh", ["-c", 'cat "$0" > "$1"', source, path], { stdio: "ignore" });
  return { path, writer };
}

/** Runs a report with every section on; a second read of a pipe hangs, so a run is bounded. */
async function report(reference: string, current: string, writers: ChildProcess[] = []): Promise<Outcome> {
  const { done, child } = run([
    "report",
    "--reference",
    reference,
    "--current",
    current,
    "--target",
    "label",
    "--prediction",
    "pred",
    "--score",
    "p",
    "--outliers",
    "--suite",
    SUITE,
    "--quiet",
  ]);
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<"stuck">((resolve) => {
    timer = setTimeout(() => resolve("stuck"), STUCK_MS);
  });
  const outcome = await Promise.race([done, stuck]);
  clearTimeout(timer);
  for (const writer of writers) if (writer.exitCode === null) writer.kill();
  if (outcome === "stuck") {
    child.kill();
    await done;
    assert.fail(`report did not finish within ${STUCK_MS} ms: it waits on a pipe it already read`);
  }
  return outcome;
}

/** The report without the input paths, which name the files rather than their data. */
function withoutPaths(outcome: Outcome): DriftReport {
  assert.equal(outcome.code, 1, `the suite fails on the outlier: ${outcome.stderr}`);
  const parsed = JSON.parse(outcome.stdout) as DriftReport;
  return {
    ...parsed,
    inputs: {
      reference: { ...parsed.inputs.reference, path: "" },
      current: { ...parsed.inputs.current, path: "" },
    },
  };
}

describe("driftwatch report (reading)", function () {
  this.timeout(3 * STUCK_MS);

  for (const [format, write] of [
    ["csv", csv],
    ["jsonl", jsonl],
  ] as const) {
    it(`reads each ${format} input once: from named pipes it gives the report it gives from files`, async () => {
      const ref = file(`ref.${format}`, write(rows(false)));
      const cur = file(`cur.${format}`, write(rows(true)));
      const fromFiles = withoutPaths(await report(ref, cur));
      const refPipe = pipeOf(`ref-pipe.${format}`, ref);
      const curPipe = pipeOf(`cur-pipe.${format}`, cur);
      const fromPipes = withoutPaths(
        await report(refPipe.path, curPipe.path, [refPipe.writer, curPipe.writer]),
      );
      assert.deepEqual(fromPipes, fromFiles);
      // Every section had data to work on.
      assert.ok(fromFiles.quality, "model quality");
      assert.ok((fromFiles.outliers?.scorers[0].outliers ?? 0) > 0, "the outlier row is found");
      assert.equal(fromFiles.checks?.[0].success, false, "the suite sees the outlier row");
      const code = fromFiles.columns.find((c) => c.name === "code");
      assert.equal(code?.kind, "categorical", "code is read as text on both sides");
    });
  }
});
