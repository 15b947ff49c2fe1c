import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { type Daemon, killAllDaemons, type Scrape, startDaemon } from "../support/daemon.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const rulesDir = join(repoRoot, "dashboards", "rules");
const testsDir = join(repoRoot, "dashboards", "tests");

/** The `.yml` files of a directory, as paths relative to the repo root (what a shell glob gives promtool). */
function ymlFiles(dir: string): string[] {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith(".yml"))
    .sort()
    .map((name) => join(relative(repoRoot, dir), name));
  assert.ok(files.length > 0, `no .yml file in ${dir}`);
  return files;
}

interface PromtoolResult {
  readonly status: number | null;
  /** stdout and stderr together: promtool prints lint problems and test failures on stderr. */
  readonly output: string;
}

/** Runs `promtool <args>` from the repo root, feeding `input` on stdin; fails with the fix when promtool is missing. */
function promtool(args: readonly string[], input?: string): PromtoolResult {
  const r = spawnSync("promtool", args, { cwd: repoRoot, encoding: "utf8", input, timeout: 60_000 });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
    assert.fail("promtool is not installed: run `npm run setup` (it installs the Debian package prometheus)");
  }
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/**
 * `promtool check metrics` problems that come from prom-client's default Node.js metrics, not from
 * the daemon: `collectDefaultMetrics` exports these gauges with a `_total` suffix, which
 * Prometheus reserves for counters (prometheus/client_js#283, open since 2019). The daemon cannot
 * rename them short of dropping the default metrics, so exactly these lines are tolerated.
 */
const PROM_CLIENT_PROBLEMS: ReadonlySet<string> = new Set(
  ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"].map(
    (name) => `${name} non-counter metrics should not have "_total" suffix`,
  ),
);
/** promtool's exit code when the input parsed but has lint problems. */
const LINT_PROBLEMS_EXIT = 3;

interface Rule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Every rule of every rule file, with the file it came from. */
function loadRules(): { file: string; rule: Rule }[] {
  return ymlFiles(rulesDir).flatMap((file) => {
    const doc = parse(readFileSync(join(repoRoot, file), "utf8")) as { groups: { rules: Rule[] }[] };
    return doc.groups.flatMap((group) => group.rules.map((rule) => ({ file, rule })));
  });
}

/** The `driftwatch_*` metric names an expression queries (recording-rule names, which hold colons, excluded). */
function metricsQueried(expr: string): string[] {
  const withoutRecords = expr.replace(/[A-Za-z0-9_]*:[A-Za-z0-9_:]*/g, " ");
  return [...withoutRecords.matchAll(/\bdriftwatch_[a-z0-9_]+/g)].map((m) => m[0]);
}

describe("dashboards/rules", () => {
  it("passes promtool check rules", () => {
    const r = promtool(["check", "rules", ...ymlFiles(rulesDir)]);
    assert.equal(r.status, 0, `promtool check rules failed:\n${r.output}`);
  });

  it("passes every promtool unit test in dashboards/tests", () => {
    const r = promtool(["test", "rules", ...ymlFiles(testsDir)]);
    assert.equal(r.status, 0, `promtool test rules failed:\n${r.output}`);
  });

  it("names alerts DriftwatchCamelCase and gives each a for, a severity, a summary, a description and a runbook", () => {
    const problems: string[] = [];
    for (const { file, rule } of loadRules()) {
      if (rule.alert === undefined) continue;
      const at = `${file}: ${rule.alert}`;
      if (!/^Driftwatch[A-Z][A-Za-z0-9]*$/.test(rule.alert))
        problems.push(`${at}: not Driftwatch + CamelCase`);
      if (rule.for === undefined) problems.push(`${at}: no for`);
      if (!["warning", "critical"].includes(rule.labels?.severity ?? "")) {
        problems.push(`${at}: severity must be warning or critical (got ${rule.labels?.severity})`);
      }
      for (const key of ["summary", "description", "runbook"]) {
        if (!rule.annotations?.[key]) problems.push(`${at}: no ${key} annotation`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it("exercises every alert and recording rule in a unit test", () => {
    // `alertname: X` in an alert_rule_test, `expr: X` (the record alone) in a promql_expr_test.
    const tested = new Set(
      ymlFiles(testsDir).flatMap((file) =>
        readFileSync(join(repoRoot, file), "utf8")
          .split("\n")
          .map((line) => line.trim().replace(/^- /, "")),
      ),
    );
    const untested = loadRules()
      .map(({ rule }) => (rule.alert !== undefined ? `alertname: ${rule.alert}` : `expr: ${rule.record}`))
      .filter((line) => !tested.has(line));
    assert.deepEqual(untested, [], "rules without a test in dashboards/tests");
  });

  describe("against the daemon's /metrics", () => {
    let daemon: Daemon | undefined;
    let stateDir: string | undefined;
    let scrape: Scrape;

    before(async function () {
      this.timeout(60_000);
      assert.ok(existsSync(join(repoRoot, "dist/cli/main.js")), "run `npm run build` first (npm test does)");
      stateDir = mkdtempSync(join(tmpdir(), "driftwatch-rules-"));
      // Not --once: the daemon keeps serving /metrics after the replay, until SIGTERM.
      daemon = await startDaemon({ config: "drift/demo/driftwatch.yaml", stateDir, label: "demo daemon" });
      await daemon.waitReady(30_000);
      // Every series family the demo fills: a drift window, an outlier window, a checkpoint.
      scrape = await daemon.waitFor(
        (s) =>
          (s.value("driftwatch_windows_evaluated_total", { monitor: "weather-drift" }) ?? 0) >= 1 &&
          (s.value("driftwatch_windows_evaluated_total", { monitor: "weather-outliers" }) ?? 0) >= 1 &&
          (s.value("driftwatch_checkpoints_total", { outcome: "ok" }) ?? 0) >= 1,
        30_000,
        "a drift window, an outlier window and a checkpoint",
        200,
      );
    });

    after(async function () {
      this.timeout(30_000);
      try {
        await daemon?.stop();
      } finally {
        await killAllDaemons();
        if (stateDir) rmSync(stateDir, { recursive: true, force: true });
      }
    });

    it("passes promtool check metrics, but for prom-client's own nodejs_active_*_total gauges", () => {
      const r = promtool(["check", "metrics"], scrape.text);
      const problems = r.output.split("\n").filter((line) => line.trim() !== "");
      const unexpected = problems.filter((line) => !PROM_CLIENT_PROBLEMS.has(line));
      assert.deepEqual(unexpected, [], `promtool check metrics on the demo's /metrics:\n${r.output}`);
      assert.ok(
        r.status === 0 || (r.status === LINT_PROBLEMS_EXIT && problems.length > 0),
        `promtool check metrics exited ${r.status}:\n${r.output}`,
      );
    });

    it("exports every driftwatch_ metric the rules query", () => {
      const families = new Set(
        scrape.text
          .split("\n")
          .filter((line) => line.startsWith("# TYPE "))
          .map((line) => line.split(" ")[2]),
      );
      const missing = loadRules().flatMap(({ file, rule }) =>
        metricsQueried(rule.expr)
          .filter((name) => !families.has(name))
          .map((name) => `${file}: ${rule.alert ?? rule.record}: ${name}`),
      );
      assert.deepEqual(missing, [], "metrics the rules query that the daemon does not export");
    });
  });
});
