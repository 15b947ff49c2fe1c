/**
 * Ways to damage the newest checkpoint generation of a state dir, as a crash, a full disk, a bad
 * disk or a careless operator would: each edits `checkpoint.json` or the side file it names, and
 * leaves `checkpoint.previous.json` and its side file alone.
 *
 * @example
 * damages["a truncated side file"](stateDir); // then a restart must fall back to the previous generation
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { copyFileSync, readFileSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The side file a checkpoint document names, or null when it names none. */
export function sideFileOf(dir: string, file = "checkpoint.json"): string | null {
  const document = JSON.parse(readFileSync(join(dir, file), "utf8")) as { values_file?: { name: string } };
  return document.values_file ? join(dir, document.values_file.name) : null;
}

function newestSideFile(dir: string): string {
  const path = sideFileOf(dir);
  assert.ok(path, `${dir}/checkpoint.json names a side file`);
  return path;
}

/** Flips the lowest bit of the first digit of `"written_at":` (a digit stays a digit, the JSON stays valid). */
function flipDigit(path: string): void {
  const bytes = readFileSync(path);
  const at = bytes.indexOf('"written_at":');
  assert.ok(at >= 0, `${path} holds written_at`);
  const digit = at + '"written_at":'.length;
  assert.ok(bytes[digit] >= 0x30 && bytes[digit] <= 0x39, "written_at starts with a digit");
  bytes[digit] ^= bytes[digit] === 0x39 ? 0x08 : 0x01;
  writeFileSync(path, bytes);
}

/** Each damage by name; every one must be detected at load. */
export const damages: Readonly<Record<string, (dir: string) => void>> = {
  "a truncated side file": (dir) => {
    const path = newestSideFile(dir);
    truncateSync(path, Math.floor(readFileSync(path).length / 2));
  },
  "a side file of random bytes": (dir) => {
    const path = newestSideFile(dir);
    writeFileSync(path, randomBytes(readFileSync(path).length));
  },
  "a missing side file": (dir) => unlinkSync(newestSideFile(dir)),
  "a side file of the wrong generation": (dir) => {
    const previous = sideFileOf(dir, "checkpoint.previous.json");
    assert.ok(previous, "the previous generation has a side file");
    copyFileSync(previous, newestSideFile(dir));
  },
  "a garbled checkpoint.json": (dir) => writeFileSync(join(dir, "checkpoint.json"), '{"format":"drift'),
  "a truncated checkpoint.json": (dir) => {
    const path = join(dir, "checkpoint.json");
    truncateSync(path, Math.floor(readFileSync(path).length / 2));
  },
  "a bit flip inside a number of checkpoint.json": (dir) => flipDigit(join(dir, "checkpoint.json")),
};
