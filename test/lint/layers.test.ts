/**
 * `npm run lint` keeps the import direction: dependency-cruiser with `.dependency-cruiser.cjs`
 * fails on a cycle and on a layer breach. Shown on small trees written for the purpose, so the
 * rules are proven to fire, not just to pass on the project.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

const repoRoot = resolve(new URL("../..", import.meta.url).pathname);
const depcruise = join(repoRoot, "node_modules", ".bin", "depcruise");

/** Runs the project's rules over a tree of `files` (path → source) in a temporary folder. */
function cruise(files: Record<string, string>): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), "driftwatch-layers-"));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "NodeNext" } }));
    const run = spawnSync(
      depcruise,
      ["src", "--config", join(repoRoot, ".dependency-cruiser.cjs"), "--output-type", "err"],
      { cwd: dir, encoding: "utf8" },
    );
    return { status: run.status, output: run.stdout + run.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("import layers", () => {
  it("passes a tree whose imports point down", () => {
    const run = cruise({
      "src/stats/ks.ts": "export const ks = 1;\n",
      "src/drift/monitor.ts": 'import { ks } from "../stats/ks.js";\nexport const m = ks;\n',
    });
    assert.equal(run.status, 0, run.output);
  });

  it("fails when stats import the report above them", () => {
    const run = cruise({
      "src/report/model.ts": "export type Model = number;\n",
      "src/stats/bins.ts": 'import type { Model } from "../report/model.js";\nexport const x: Model = 1;\n',
    });
    assert.notEqual(run.status, 0);
    assert.match(run.output, /stats-are-pure: src\/stats\/bins\.ts → src\/report\/model\.ts/);
  });

  it("fails when a component imports the config that composes it", () => {
    const run = cruise({
      "src/config/types.ts": "export type C = number;\n",
      "src/sources/kafka.ts": 'import type { C } from "../config/types.js";\nexport const c: C = 1;\n',
    });
    assert.notEqual(run.status, 0);
    assert.match(run.output, /config-composes-components: src\/sources\/kafka\.ts → src\/config\/types\.ts/);
  });

  it("fails on an import cycle", () => {
    const run = cruise({
      "src/checks/a.ts": 'import { b } from "./b.js";\nexport const a = () => b;\n',
      "src/checks/b.ts": 'import { a } from "./a.js";\nexport const b = () => a;\n',
    });
    assert.notEqual(run.status, 0);
    assert.match(run.output, /no-circular/);
  });
});
