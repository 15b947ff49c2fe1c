import { isUtf8 } from "node:buffer";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { isAbsolute, relative } from "node:path";
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { ConfigError, type ConfigProblem } from "../errors.js";
import { firstInvalidUtf8, lineAt } from "./utf8.js";

/**
 * Reading config and suite files as untrusted input. A YAML file is small to write and can be
 * enormous to use: aliases repeat whole subtrees ("billion laughs": nine lines, 387 million
 * strings once walked), nesting recurses in every consumer, numbers can be `1e999`. The `yaml`
 * package shares an alias's value rather than copying it, so its output is small, but ajv, the
 * cross-checks and the monitors walk it as a tree. So the tree is measured on the parsed document,
 * in one pass without recursion, before anything walks the values, and each limit is a
 * `ConfigError` naming the line.
 */

/** A parsed YAML document. */
export type ParsedYaml = ReturnType<typeof parseDocument>;

/** Largest config or suite file read: 4× the suite `suggest` writes for 10 000 columns. */
export const MAX_CONFIG_BYTES = 16 << 20;
/** Deepest nesting of maps and lists, aliases expanded; configs and suites use under ten. */
export const MAX_CONFIG_DEPTH = 64;
/** Most values (scalars, maps, lists, keys) once every alias is expanded. */
export const MAX_CONFIG_VALUES = 1_000_000;
/** Most YAML syntax errors listed: after the first few they are mostly echoes of the first. */
const MAX_SYNTAX_ERRORS = 5;

/**
 * Reads a config or suite file; `shown` names it in errors (relative to the working directory). A
 * file that cannot be read, is larger than `MAX_CONFIG_BYTES`, holds binary data or is not UTF-8
 * is a ConfigError saying `what` and why, with the line of the first offending byte.
 */
export function readText(file: string, what: string): { shown: string; text: string } {
  const shown = isAbsolute(file) ? relative(process.cwd(), file) || file : file;
  const fail = (message: string, line?: number): never => {
    throw new ConfigError(shown, [{ path: "", message, ...(line === undefined ? {} : { line }) }]);
  };
  let bytes: Buffer;
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    const { size } = fstatSync(fd);
    if (size > MAX_CONFIG_BYTES) fail(tooBig(size));
    bytes = readAtMost(fd, MAX_CONFIG_BYTES + 1);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    return fail(`${what}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (bytes.length > MAX_CONFIG_BYTES) fail(tooBig(bytes.length, true));
  const control = firstControlByte(bytes);
  if (control >= 0) {
    fail(
      `binary data: control byte 0x${hex(bytes[control])} (a config or suite file is YAML text)`,
      lineAt(bytes, control),
    );
  }
  if (!isUtf8(bytes)) {
    const at = firstInvalidUtf8(bytes);
    fail(`not UTF-8 text: byte 0x${hex(bytes[at])} cannot start or continue a character`, lineAt(bytes, at));
  }
  return { shown, text: bytes.toString("utf8") };
}

function tooBig(size: number, atLeast = false): string {
  return `${atLeast ? "more than " : ""}${size} bytes, more than the ${MAX_CONFIG_BYTES} (${MAX_CONFIG_BYTES >> 20} MiB) a config or suite file may have`;
}

const hex = (byte: number): string => byte.toString(16).padStart(2, "0");

/** Reads up to `limit` bytes: a FIFO or device reports no size, so the size alone is no bound. */
function readAtMost(fd: number, limit: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(1 << 20, limit - total));
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    total += n;
    if (total >= limit) break;
  }
  return Buffer.concat(chunks, total);
}

/**
 * The first byte YAML does not allow in a stream (C0 controls but tab, line feed and carriage
 * return; DEL), or -1. Checked before parsing so that a binary file is one problem, not one per
 * garbled token.
 */
function firstControlByte(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) return i;
  }
  return -1;
}

/** Which numbers a file may hold: a config's are counts, sizes, times and rates. */
export type NumberRule = "finite" | "finite-safe";

/**
 * Parses YAML with line numbers; a syntax error is a ConfigError naming `shown` and the line.
 * The document is then measured (nesting, alias expansion, cycles, numbers; see the module
 * comment) before it becomes values. YAML 1.2 core schema: merge keys (`<<`) are plain keys
 * (a `%YAML 1.1` directive turns them on; they are measured as the aliases they are either way).
 * Shared by the config and suite loaders.
 */
export function parseYaml(
  text: string,
  shown: string,
  numbers: NumberRule = "finite",
): { document: ParsedYaml; counter: LineCounter; value: unknown } {
  const counter = new LineCounter();
  let document: ParsedYaml;
  try {
    document = parseDocument(text, { lineCounter: counter, prettyErrors: false, merge: false });
  } catch (error) {
    // The parser recurses once per nesting level; the stack bounds it before our walk can.
    if (!(error instanceof RangeError)) throw error;
    throw new ConfigError(shown, [{ path: "", message: tooDeepToParse }]);
  }
  if (document.errors.length > 0) {
    const errors = document.errors.map((e) => ({
      path: "",
      line: counter.linePos(e.pos[0]).line,
      message: /call stack/i.test(e.message) ? tooDeepToParse : `YAML: ${e.message.split("\n")[0]}`,
    }));
    const deep = errors.find((e) => e.message === tooDeepToParse);
    const shownErrors = deep ? [deep] : errors.slice(0, MAX_SYNTAX_ERRORS);
    if (errors.length > shownErrors.length && !deep)
      shownErrors.push({
        path: "",
        line: errors[MAX_SYNTAX_ERRORS].line,
        message: `and ${errors.length - MAX_SYNTAX_ERRORS} more YAML errors`,
      });
    throw new ConfigError(shown, shownErrors);
  }
  const problems = measure(document, counter, text, numbers);
  if (problems.length > 0) throw new ConfigError(shown, problems);
  let value: unknown;
  try {
    // Expansion is bounded by `measure`, so yaml's own alias guard (which also refuses a value
    // shared by more than 100 aliases) is off.
    value = document.toJS({ maxAliasCount: -1 });
  } catch (error) {
    if (!(error instanceof ReferenceError || error instanceof RangeError)) throw error;
    throw new ConfigError(shown, [{ path: "", message: `YAML: ${error.message}` }]);
  }
  return { document, counter, value };
}

const tooDeepToParse = `nested too deeply to parse (at most ${MAX_CONFIG_DEPTH} levels)`;

/** A map or list being walked: its children still to visit and what it adds up to so far. */
interface Frame {
  readonly node: Node;
  readonly path: string;
  /** Maps and lists from the root down to this one, itself included. */
  readonly depth: number;
  readonly children: (readonly [Node, string])[];
  next: number;
  /** Values in it so far, itself included, aliases expanded. */
  size: number;
  /** Levels of maps and lists from it down, itself included. */
  height: number;
}

const tooMany = `aliases expand this value to more than ${MAX_CONFIG_VALUES} values (an alias counts as the value it repeats)`;
const tooDeep = `nested deeper than ${MAX_CONFIG_DEPTH} levels`;

/**
 * Walks the document once, without recursion, and returns its problems: maps and lists nested
 * deeper than `MAX_CONFIG_DEPTH` or more than `MAX_CONFIG_VALUES` values (both with aliases
 * expanded: an alias counts as the value it repeats), an alias inside the value it names (a cycle,
 * which would make every consumer loop), and numbers that are not finite or (`finite-safe`) beyond
 * ±(2^53 − 1). Stops at the first size or depth problem, reported at the innermost map or list
 * that exceeds the limit.
 */
function measure(
  document: ParsedYaml,
  counter: LineCounter,
  text: string,
  numbers: NumberRule,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const lineOfNode = (node: Node): number | undefined =>
    node.range ? counter.linePos(node.range[0]).line : undefined;
  // Each anchor as of the current point of a pre-order walk is the node an alias there resolves
  // to (the last of that name before it, as yaml resolves them). Anchored maps and lists keep
  // their size and height once finished; those still open are where an alias makes a cycle.
  const anchors = new Map<string, Node>();
  const measured = new Map<Node, { size: number; height: number }>();
  const open = new Set<Node>();
  const stack: Frame[] = [];

  /** Adds a finished value to the map or list holding it. */
  const add = (size: number, height: number): void => {
    const parent = stack[stack.length - 1];
    if (parent === undefined) return;
    parent.size += size;
    parent.height = Math.max(parent.height, height + 1);
  };

  /** Visits a node; false stops the walk. */
  const enter = (node: Node, path: string, depth: number): boolean => {
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (target === undefined) return true; // the parser reports it
      if (open.has(target)) {
        problems.push({
          path,
          line: lineOfNode(node),
          message: `alias *${node.source} refers to a value that contains it (a cycle)`,
        });
        return true;
      }
      const { size, height } = measured.get(target) ?? { size: 1, height: 0 };
      if (depth + height > MAX_CONFIG_DEPTH) {
        problems.push({
          path,
          line: lineOfNode(node),
          message: `${tooDeep} once alias *${node.source} is expanded`,
        });
        return false;
      }
      add(size, height);
      return true;
    }
    if (node.anchor) anchors.set(node.anchor, node);
    if (isScalar(node)) {
      if (typeof node.value === "number") {
        const problem = numberProblem(node.value, numbers);
        const source = node.range ? text.slice(node.range[0], node.range[1]) : String(node.value);
        if (problem !== null)
          problems.push({ path, line: lineOfNode(node), message: `${problem} (got ${source})` });
      }
      if (node.anchor) measured.set(node, { size: 1, height: 0 });
      add(1, 0);
      return true;
    }
    if (depth + 1 > MAX_CONFIG_DEPTH) {
      problems.push({ path, line: lineOfNode(node), message: tooDeep });
      return false;
    }
    open.add(node);
    stack.push({
      node,
      path,
      depth: depth + 1,
      children: childrenOf(node, path),
      next: 0,
      size: 1,
      height: 1,
    });
    return true;
  };

  if (document.contents === null || !enter(document.contents, "", 0)) return problems;
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    if (frame.next < frame.children.length) {
      const [child, path] = frame.children[frame.next++];
      if (!enter(child, path, frame.depth)) return problems;
      continue;
    }
    stack.pop();
    open.delete(frame.node);
    if (frame.size > MAX_CONFIG_VALUES) {
      problems.push({ path: frame.path, line: lineOfNode(frame.node), message: tooMany });
      return problems;
    }
    if (frame.node.anchor) measured.set(frame.node, { size: frame.size, height: frame.height });
    add(frame.size, frame.height);
  }
  return problems;
}

/** The keys and values of a map, or the items of a list, each with its JSON pointer. */
function childrenOf(node: Node, path: string): (readonly [Node, string])[] {
  const children: (readonly [Node, string])[] = [];
  const push = (child: unknown, at: string): void => {
    if (child !== null && typeof child === "object") children.push([child as Node, at]);
  };
  if (isMap(node)) {
    for (const pair of node.items) {
      const at = `${path}/${pointerSegment(String(isScalar(pair.key) ? pair.key.value : ""))}`;
      push(pair.key, at);
      push(pair.value, at);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      // A one-pair map written inline in a flow list: `[a: 1]`.
      if (isPair(item)) {
        push(item.key, `${path}/${i}`);
        push(item.value, `${path}/${i}`);
      } else push(item, `${path}/${i}`);
    });
  }
  return children;
}

/** Why a number may not be in the file, or null. */
function numberProblem(value: number, rule: NumberRule): string | null {
  if (!Number.isFinite(value)) return "not a finite number";
  if (rule === "finite-safe" && Math.abs(value) > Number.MAX_SAFE_INTEGER)
    return `beyond ±${Number.MAX_SAFE_INTEGER} (2^53 − 1), where integers lose precision; no setting needs such a number`;
  return null;
}

/** A key as a JSON pointer segment (RFC 6901). */
function pointerSegment(key: string): string {
  return key.replaceAll("~", "~0").replaceAll("/", "~1");
}

/** The line of the YAML node at a JSON pointer (or of its nearest existing parent). */
export function lineOf(document: ParsedYaml, counter: LineCounter, pointer: string): number | undefined {
  const parts = pointer
    .split("/")
    .slice(1)
    .map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"));
  const at = (path: (string | number)[]): Node | undefined =>
    (path.length === 0 ? document.contents : document.getIn(path, true)) as Node | undefined;
  // The line of a map key, which is where a person looks for the value it names.
  const keyLine = (path: (string | number)[]): number | undefined => {
    const parent = at(path.slice(0, -1));
    if (!parent || !isMap(parent)) return undefined;
    const pair = parent.items.find(
      (item) => (item.key as { value?: unknown } | null)?.value === path[path.length - 1],
    );
    const range = (pair?.key as Node | undefined)?.range;
    return range ? counter.linePos(range[0]).line : undefined;
  };
  // Walk up from the full path: an unknown or missing key points at its parent.
  for (let depth = parts.length; depth >= 0; depth--) {
    const path = parts.slice(0, depth).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    const own = depth > 0 && depth === parts.length ? keyLine(path) : undefined;
    if (own !== undefined) return own;
    const node = at(path);
    if (node && (isMap(node) || isSeq(node) || "range" in node) && node.range)
      return counter.linePos(node.range[0]).line;
  }
  return undefined;
}
