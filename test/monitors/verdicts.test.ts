import { strict as assert } from "node:assert";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "driftwatch-verdicts-"));

/** Resolves once `stdout` so far passes `done`; rejects after `ms` or when the process exits. */
function waitFor(child: ChildProcess, out: { text: string }, done: (text: string) => boolean, ms: number) {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out; stdout so far:\n${out.text}`)), ms);
    const check = (): void => {
      if (!done(out.text)) return;
      clearTimeout(timer);
      child.stdout?.off("data", check);
      resolve();
    };
    child.stdout?.on("data", check);
    child.once("exit", () => reject(new Error(`exited early; stdout:\n${out.text}`)));
    check();
  });
}

describe("driftwatch run verdicts", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("prints a clock-driven verdict when it changes, not at every tick", async () => {
    writeFileSync(
      join(dir, "quiet.yaml"),
      "name: quiet\nexpectations:\n  - type: expect_time_since_last_event_to_be_less_than\n    kwargs: { max_secs: 1 }\n",
    );
    const config = join(dir, "driftwatch.yaml");
    writeFileSync(
      config,
      `sources:\n  web: { type: http, listen: "127.0.0.1:0" }\nfeatures:\n  t: { source: web, path: /t, type: numeric }\nmonitors:\n  quiet:\n    type: checks\n    source: web\n    suite: quiet.yaml\n    window: { type: tumbling, events: 100 }\nstate: { dir: state }\n`,
    );
    const child = spawn(
      process.execPath,
      [
        "bin/driftwatch.js",
        "run",
        "--config",
        config,
        "--metrics-listen",
        "127.0.0.1:0",
        "--log-level",
        "error",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const out = { text: "" };
    child.stdout.on("data", (chunk: Buffer) => {
      out.text += chunk.toString("utf8");
    });
    const failed = (text: string) =>
      text.split("\n").filter((l) => l.startsWith("[quiet] clock: suite quiet FAILED"));
    try {
      // Silent for more than a second: the verdict turns to FAILED, its observed silence growing.
      await waitFor(child, out, (text) => failed(text).length > 0, 30_000);
      // Two more ticks at least, each with a longer silence: the same verdict is not printed again.
      await new Promise((resolve) => setTimeout(resolve, 2500));
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    assert.equal(failed(out.text).length, 1, out.text);
    assert.match(
      failed(out.text)[0],
      /^\[quiet\] clock: suite quiet FAILED, 0\/1 expectations \| expect_time_since_last_event_to_be_less_than: observed [\d.]+$/,
    );
    const lines = out.text.trim().split("\n");
    assert.ok(
      lines.every((l) => l.startsWith("[quiet] clock: suite quiet ")),
      out.text,
    );
  });
});
