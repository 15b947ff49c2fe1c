import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Checkpoint, CheckpointStore } from "../../src/state/checkpoint.js";

// With the state dir on a full disk, every failed checkpoint left an empty values-N.f64 behind,
// never removed, and failed with Node's raw error. A failed save now removes what it wrote, keeps
// the generations it had, throws one line naming the path and the errno, and the next save
// succeeds once there is room again.

const PAGE = 4096;
const VALUES = 5000; // 40 000 bytes of side file: ten pages

function checkpoint(line: number): Checkpoint {
  return {
    format: "driftwatch-checkpoint",
    version: 2,
    written_at: line,
    config_hash: "h",
    positions: { weather: { line } },
    monitors: {
      m: {
        hash: "x",
        type: "drift",
        state: {
          collecting: {
            events: VALUES,
            features: {
              x: {
                kind: "numeric",
                values: Array.from({ length: VALUES }, (_, i) => i + line),
                missing: 0,
                invalid: 0,
              },
            },
          },
          window: { open: null, closed: [], emitted: 0, late: 0 },
        },
      },
    },
  };
}

/** Fills the file system with one-page files until it is full; returns their paths. */
function fill(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const page = Buffer.alloc(PAGE, 1);
  const files: string[] = [];
  for (let i = 0; i < 100_000; i++) {
    const path = join(dir, `page-${i}`);
    const fd = openSync(path, "w");
    let full = false;
    try {
      writeSync(fd, page);
    } catch (error) {
      assert.equal((error as NodeJS.ErrnoException).code, "ENOSPC");
      full = true;
    } finally {
      closeSync(fd);
    }
    if (full) {
      unlinkSync(path);
      return files;
    }
    files.push(path);
  }
  throw new Error("the file system never filled up");
}

describe("CheckpointStore on a full disk", () => {
  let work = "";
  let disk = "";

  before(() => {
    work = mkdtempSync(join(tmpdir(), "driftwatch-ckpt-full-"));
    disk = join(work, "disk");
    mkdirSync(disk);
    const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", disk], {
      encoding: "utf8",
    });
    assert.equal(mounted.status, 0, `mount a small tmpfs: ${mounted.stderr}`);
  });

  after(() => {
    if (disk) spawnSync("umount", [disk]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("fails cleanly while the disk is full, keeps both generations, and saves again once there is room", () => {
    const dir = join(disk, "state");
    const store = new CheckpointStore(dir);
    store.save(checkpoint(1));
    store.save(checkpoint(2));
    const kept = readdirSync(dir).sort();
    const filler = fill(join(disk, "filler"));

    for (let attempt = 0; attempt < 5; attempt++) {
      assert.throws(
        () => store.save(checkpoint(3 + attempt)),
        (error: Error) => {
          assert.equal(error.name, "UserError");
          assert.match(
            error.message,
            /^checkpoint not saved: \S+\/values-\d+\.f64: ENOSPC: no space left on device$/,
          );
          return true;
        },
      );
      assert.deepEqual(readdirSync(dir).sort(), kept, `attempt ${attempt} left nothing behind`);
    }
    assert.deepEqual(new CheckpointStore(dir).load(), checkpoint(2));

    // Room for the side file but not for the document: the side file written is removed again.
    for (const path of filler.splice(0, Math.ceil((VALUES * 8) / PAGE))) unlinkSync(path);
    assert.throws(
      () => store.save(checkpoint(10)),
      /^UserError: checkpoint not saved: \S+\/checkpoint\.json\.tmp: ENOSPC: no space left on device$/,
    );
    assert.deepEqual(
      readdirSync(dir).sort(),
      kept,
      "neither the side file nor the temporary document is left",
    );
    assert.deepEqual(new CheckpointStore(dir).load(), checkpoint(2));

    for (const path of filler) unlinkSync(path);
    store.save(checkpoint(11));
    assert.deepEqual(new CheckpointStore(dir).load(), checkpoint(11));
    const files = readdirSync(dir).sort();
    assert.equal(files.filter((name) => name.endsWith(".f64")).length, 2, files.join(", "));
    assert.ok(files.includes("checkpoint.previous.json"), "generation 2 is kept as the fallback");
  });
});
