import { PYTHON_SPACE } from "../datetime.js";

/**
 * Python regular expressions (`re`, 3.11) run on JavaScript's engine. GE's regex expectations call
 * `re.search` on pandas strings, so a suite written for GE uses Python syntax and semantics. This
 * translates a pattern once, into a JavaScript RegExp (flag `v`) that searches the same way:
 *
 * - syntax JavaScript spells differently: `(?P<name>...)`, `(?P=name)`, `\A`, `\Z`, `\U0001F600`,
 *   octal escapes, `{,n}`, a literal `{` / `}` / `]`, `[]...]`, `(?#comment)`, verbose mode `(?x)`;
 * - semantics that differ under the same spelling: Python's `\d`, `\w`, `\s` and `\b` are Unicode
 *   aware (JavaScript's are ASCII), `.` excludes only `\n`, `$` also matches before a final
 *   newline, and `(?m)` treats only `\n` as a line end;
 * - global inline flags at the start, `(?aimsux)`, become the translation's semantics (`i` is kept
 *   as the JavaScript flag).
 *
 * What JavaScript (Node 20) cannot express is refused with a RegexSyntaxError instead of silently
 * meaning something else: scoped flags `(?i:...)`, conditionals `(?(1)...)`, atomic groups and
 * possessive quantifiers, `\N{...}`; so are Python's own syntax errors (unknown escapes such as
 * `\q`). Written by hand: no npm package translates Python's dialect.
 */

/** A pattern Python refuses, or one JavaScript cannot run with Python's meaning. */
export class RegexSyntaxError extends Error {
  override readonly name = "RegexSyntaxError";
}

interface Flags {
  ignoreCase: boolean;
  multiline: boolean;
  dotAll: boolean;
  verbose: boolean;
  ascii: boolean;
}

/** Python's class escapes as set contents (inside `[...]`), Unicode and ASCII. */
const SETS = {
  d: { unicode: "\\p{Nd}", ascii: "0-9" },
  w: { unicode: "\\p{L}\\p{N}_", ascii: "a-zA-Z0-9_" },
  s: { unicode: PYTHON_SPACE, ascii: " \\t-\\r" },
} as const;

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
const isOctal = (c: string | undefined) => c !== undefined && c >= "0" && c <= "7";
const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);
const isAsciiLetter = (c: string) => /^[a-zA-Z]$/.test(c);

/** A code point as JavaScript pattern text that is literal in and out of `v`-mode classes. */
function literal(code: number): string {
  const c = String.fromCodePoint(code);
  return /^[a-zA-Z0-9]$/.test(c) ? c : `\\u{${code.toString(16)}}`;
}

class Translator {
  private pos = 0;
  private readonly flags: Flags = {
    ignoreCase: false,
    multiline: false,
    dotAll: false,
    verbose: false,
    ascii: false,
  };

  constructor(private readonly pattern: string) {}

  private error(message: string): never {
    throw new RegexSyntaxError(`${message} at position ${this.pos} of ${JSON.stringify(this.pattern)}`);
  }

  /** The next UTF-16 unit (a method, not a getter, so that TypeScript does not narrow it across reads). */
  private peek(): string | undefined {
    return this.pattern[this.pos];
  }

  private take(): string {
    const cp = this.pattern.codePointAt(this.pos);
    if (cp === undefined) this.error("unexpected end of pattern");
    const c = String.fromCodePoint(cp);
    this.pos += c.length;
    return c;
  }

  private lookingAt(text: string): boolean {
    return this.pattern.startsWith(text, this.pos);
  }

  /** `(?aiLmsux)` groups at the very start set the pattern's flags. */
  private readGlobalFlags(): void {
    for (;;) {
      const m = /^\(\?([a-zA-Z]+)\)/.exec(this.pattern.slice(this.pos));
      if (m === null || !/^[aiLmsux]+$/.test(m[1])) return;
      for (const f of m[1]) {
        if (f === "L") this.error("bad inline flag: cannot use 'L' flag with a str pattern");
        if (f === "a") this.flags.ascii = true;
        if (f === "i") this.flags.ignoreCase = true;
        if (f === "m") this.flags.multiline = true;
        if (f === "s") this.flags.dotAll = true;
        if (f === "x") this.flags.verbose = true;
      }
      if (m[1].includes("a") && m[1].includes("u"))
        this.error("bad inline flag: flags 'a' and 'u' are incompatible");
      this.pos += m[0].length;
    }
  }

  translate(): RegExp {
    this.readGlobalFlags();
    let out = "";
    while (this.pos < this.pattern.length) out += this.item();
    try {
      return new RegExp(out, this.flags.ignoreCase ? "iv" : "v");
    } catch (error) {
      throw new RegexSyntaxError(
        `cannot compile ${JSON.stringify(this.pattern)}: ${(error as Error).message.replace(/^Invalid regular expression: /, "")}`,
      );
    }
  }

  private set(name: "d" | "w" | "s", negated: boolean): string {
    const contents = this.flags.ascii ? SETS[name].ascii : SETS[name].unicode;
    return negated ? `[^${contents}]` : `[${contents}]`;
  }

  private wordBoundary(negated: boolean): string {
    const w = this.set("w", false);
    return negated ? `(?:(?<=${w})(?=${w})|(?<!${w})(?!${w}))` : `(?:(?<=${w})(?!${w})|(?<!${w})(?=${w}))`;
  }

  /** One item outside a class: an atom with its quantifier, an anchor, `|`, `(` or `)`. */
  private item(): string {
    const c = this.take();
    if (this.flags.verbose && /^\s$/u.test(c)) return "";
    if (this.flags.verbose && c === "#") {
      while (this.pos < this.pattern.length && this.peek() !== "\n") this.pos++;
      return "";
    }
    switch (c) {
      case "\\":
        return this.escape();
      case "[":
        return this.characterClass();
      case "(":
        return this.group();
      case ")":
      case "|":
        return c;
      case ".":
        return this.flags.dotAll ? "[^]" : "[^\\n]";
      case "^":
        return this.flags.multiline ? "(?:^|(?<=\\n))" : "^";
      case "$":
        return this.flags.multiline ? "(?=\\n|$)" : "(?=\\n?$)";
      case "*":
      case "+":
      case "?":
        return c + this.quantifierSuffix();
      case "{":
        return this.brace();
      default:
        return literal(c.codePointAt(0) as number);
    }
  }

  /** Lazy `?` passes; Python 3.11's possessive `+` has no JavaScript equivalent. */
  private quantifierSuffix(): string {
    if (this.peek() === "?") {
      this.pos++;
      return "?";
    }
    if (this.peek() === "+") this.error("possessive quantifiers are not supported");
    return "";
  }

  /** `{m}`, `{m,}`, `{,n}`, `{m,n}` repeat; any other `{` is a literal, as in Python. */
  private brace(): string {
    const m = /^(\d*)(?:(,)(\d*))?\}/.exec(this.pattern.slice(this.pos));
    if (m === null || (m[1] === "" && m[2] === undefined)) return literal(123);
    this.pos += m[0].length;
    const min = m[1] === "" ? "0" : m[1];
    const max = m[2] === undefined ? min : m[3];
    if (max !== "" && Number(max) < Number(min)) this.error("min repeat greater than max repeat");
    return `{${min}${m[2] === undefined ? "" : `,${max}`}}${this.quantifierSuffix()}`;
  }

  private group(): string {
    if (this.peek() !== "?") return "(";
    this.pos++;
    if (this.lookingAt("P<")) {
      const m = /^P<([^>]+)>/.exec(this.pattern.slice(this.pos));
      if (m === null) this.error("missing >, unterminated name");
      this.pos += m[0].length;
      return `(?<${m[1]}>`;
    }
    if (this.lookingAt("P=")) {
      const m = /^P=([^)]+)\)/.exec(this.pattern.slice(this.pos));
      if (m === null) this.error("missing ), unterminated name");
      this.pos += m[0].length;
      return `\\k<${m[1]}>`;
    }
    if (this.peek() === "#") {
      const end = this.pattern.indexOf(")", this.pos);
      if (end < 0) this.error("missing ), unterminated comment");
      this.pos = end + 1;
      return "";
    }
    for (const opener of [":", "=", "!", "<=", "<!"])
      if (this.lookingAt(opener)) {
        this.pos += opener.length;
        return `(?${opener}`;
      }
    if (this.peek() === "<") {
      // (?<name>...) is JavaScript's spelling; accepted as the same named group.
      this.pos++;
      return "(?<";
    }
    if (this.peek() === "(") this.error("conditional groups (?(id)yes|no) are not supported");
    if (this.peek() === ">") this.error("atomic groups (?>...) are not supported");
    if (/^[-aiLmsux]/.test(this.peek() ?? "")) {
      const m = /^[-aiLmsux]*/.exec(this.pattern.slice(this.pos)) as RegExpExecArray;
      if (this.pattern[this.pos + m[0].length] === ")")
        this.error("global flags not at the start of the expression");
      this.error(`scoped inline flags (?${m[0]}:...) are not supported`);
    }
    this.error(`unknown extension ?${this.peek() ?? ""}`);
  }

  /** An escape outside a class. */
  private escape(): string {
    const c = this.take();
    switch (c) {
      case "A":
        return "^";
      case "Z":
        return "$";
      case "b":
        return this.flags.ascii ? "\\b" : this.wordBoundary(false);
      case "B":
        return this.flags.ascii ? "\\B" : this.wordBoundary(true);
      case "d":
      case "w":
      case "s":
        return this.set(c, false);
      case "D":
      case "W":
      case "S":
        return this.set(c.toLowerCase() as "d" | "w" | "s", true);
    }
    if (isDigit(c)) return this.numericEscape(c, false);
    return literal(this.codeEscape(c));
  }

  /**
   * `\0`, `\0oo`, `\ooo` are octal characters; other digits refer to a group (Python's rule).
   * Inside a class only octal escapes exist.
   */
  private numericEscape(first: string, inClass: boolean): string {
    if (first === "0") {
      let digits = "";
      while (digits.length < 2 && isOctal(this.peek())) digits += this.take();
      return literal(Number.parseInt(digits || "0", 8));
    }
    if (isDigit(this.peek())) {
      const second = this.peek() as string;
      if (isOctal(first) && isOctal(second) && isOctal(this.pattern[this.pos + 1])) {
        const value = Number.parseInt(first + this.take() + this.take(), 8);
        if (value > 0o377) this.error(`octal escape value \\${value.toString(8)} outside of range 0-0o377`);
        return literal(value);
      }
      if (inClass) this.error(`bad escape \\${first}`);
      return `\\${first}${this.take()}`;
    }
    if (inClass) this.error(`bad escape \\${first}`);
    return `\\${first}`;
  }

  /** Escapes that stand for one character: `\n`, `\x41`, `\u00e9`, `\U0001F600`, `\.`. */
  private codeEscape(c: string): number {
    if (c in SIMPLE_ESCAPES) return SIMPLE_ESCAPES[c];
    const hexLength = c === "x" ? 2 : c === "u" ? 4 : c === "U" ? 8 : 0;
    if (hexLength > 0) {
      const hex = this.pattern.slice(this.pos, this.pos + hexLength);
      if (hex.length < hexLength || ![...hex].every(isHex)) this.error(`incomplete escape \\${c}${hex}`);
      this.pos += hexLength;
      const code = Number.parseInt(hex, 16);
      if (code > 0x10ffff) this.error(`bad escape \\${c}${hex}`);
      return code;
    }
    if (c === "N") this.error("named Unicode escapes \\N{...} are not supported");
    if (isAsciiLetter(c) || isDigit(c)) this.error(`bad escape \\${c}`);
    return c.codePointAt(0) as number;
  }

  /** A `[...]` set, emitted as a `v`-mode class with every character literal. */
  private characterClass(): string {
    let out = "[";
    if (this.peek() === "^") {
      this.pos++;
      out += "^";
    }
    let first = true;
    for (;;) {
      if (this.pos >= this.pattern.length) this.error("unterminated character set");
      if (this.peek() === "]" && !first) {
        this.pos++;
        return `${out}]`;
      }
      first = false;
      const start = this.classAtom();
      if (this.peek() === "-" && this.pattern[this.pos + 1] !== "]" && this.pos + 1 < this.pattern.length) {
        this.pos++;
        const end = this.classAtom();
        if (typeof start !== "number" || typeof end !== "number") this.error("bad character range");
        if (end < start) this.error("bad character range");
        out += `${literal(start)}-${literal(end)}`;
      } else out += typeof start === "number" ? literal(start) : start;
    }
  }

  /** One member of a set: a code point, or a nested class for `\d`, `\W`, .... */
  private classAtom(): number | string {
    const c = this.take();
    if (c !== "\\") return c.codePointAt(0) as number;
    const e = this.take();
    switch (e) {
      case "d":
      case "w":
      case "s":
        return this.set(e, false);
      case "D":
      case "W":
      case "S":
        return this.set(e.toLowerCase() as "d" | "w" | "s", true);
      case "b":
        return 8;
    }
    if (isDigit(e)) {
      const text = this.numericEscape(e, true);
      return text.startsWith("\\u{")
        ? Number.parseInt(text.slice(3, -1), 16)
        : (text.codePointAt(0) as number);
    }
    return this.codeEscape(e);
  }
}

/**
 * Compiles a Python regular expression (as GE's pandas backend runs it) to a JavaScript RegExp
 * with the same `re.search` semantics; use `.test()`. Throws RegexSyntaxError for patterns Python
 * refuses or that JavaScript cannot run with the same meaning.
 */
export function compilePythonRegex(pattern: string): RegExp {
  return new Translator(pattern).translate();
}
