import {
  dateOfOrdinal,
  daysInMonth,
  digitValue,
  isoInstant,
  ordinalOf,
  PYTHON_SPACE,
  weekdayOfOrdinal,
} from "../datetime.js";

/**
 * Which texts `dateutil.parser.parse` (python-dateutil 2.9, default `parserinfo`, not fuzzy)
 * accepts: the test of GE's `expect_column_values_to_be_dateutil_parseable`.
 *
 * Written by hand, following dateutil's lexer (`_timelex`) and parser (`parser._parse`,
 * `_parse_numeric_token`, `_ymd.resolve_ymd`, `_build_naive`) step by step, because dateutil's
 * acceptance is its algorithm: it takes "Sep.20.2009", "4h30m", "12am", "19990101T23",
 * "Jan of 01" and refuses "abc" or "2019-02-30", and no JavaScript date parser draws the same line
 * (Date.parse and the npm parsers accept other texts). dateutil is dual-licensed BSD-3 /
 * Apache-2.0; this is a re-implementation of its logic, not a copy of its code.
 *
 * Only acceptance is computed: a text is parseable when dateutil would return a datetime (no
 * ParserError, ValueError or OverflowError). Like dateutil, missing fields come from today, so
 * "Feb 29" depends on the current year.
 */

/** dateutil's `ValueError` / `IndexError` inside `_parse`: the text is not a date. */
class NotADate extends Error {}

const fail = (): never => {
  throw new NotADate();
};

/** `parserinfo` tables, keyed by lower-case name. */
const JUMP = new Set([
  " ",
  ".",
  ",",
  ";",
  "-",
  "/",
  "'",
  "at",
  "on",
  "and",
  "ad",
  "m",
  "t",
  "of",
  "st",
  "nd",
  "rd",
  "th",
]);
const WEEKDAYS = new Map(
  [
    ["mon", "monday"],
    ["tue", "tuesday"],
    ["wed", "wednesday"],
    ["thu", "thursday"],
    ["fri", "friday"],
    ["sat", "saturday"],
    ["sun", "sunday"],
  ].flatMap((names, i) => names.map((n) => [n, i] as const)),
);
const MONTHS = new Map(
  [
    ["jan", "january"],
    ["feb", "february"],
    ["mar", "march"],
    ["apr", "april"],
    ["may"],
    ["jun", "june"],
    ["jul", "july"],
    ["aug", "august"],
    ["sep", "sept", "september"],
    ["oct", "october"],
    ["nov", "november"],
    ["dec", "december"],
  ].flatMap((names, i) => names.map((n) => [n, i + 1] as const)),
);
const HMS = new Map([
  ["h", 0],
  ["hour", 0],
  ["hours", 0],
  ["m", 1],
  ["minute", 1],
  ["minutes", 1],
  ["s", 2],
  ["second", 2],
  ["seconds", 2],
]);
const AMPM = new Map([
  ["am", 0],
  ["a", 0],
  ["pm", 1],
  ["p", 1],
]);
const UTC_NAMES = ["UTC", "GMT", "Z", "z"];

const jump = (t: string) => JUMP.has(t.toLowerCase());
const weekdayOf = (t: string) => WEEKDAYS.get(t.toLowerCase());
const monthOf = (t: string) => MONTHS.get(t.toLowerCase());
const hmsOf = (t: string | undefined) => (t === undefined ? undefined : HMS.get(t.toLowerCase()));
const ampmOf = (t: string | undefined) => (t === undefined ? undefined : AMPM.get(t.toLowerCase()));
const isUtcName = (t: string) => ["utc", "gmt", "z"].includes(t.toLowerCase());

const LETTER = /^\p{L}$/u;
const DIGIT = /^[0-9]$/;
/** Python's `str.isspace()` for one character. */
const SPACE = new RegExp(`^[${PYTHON_SPACE}]$`, "u");
const NON_ASCII = /[^\0-\x7f]/;
const DIGITS = /^[0-9]+$/;
const DECIMAL = /^[0-9]+(?:\.[0-9]+)?$/;

/**
 * Every Unicode decimal digit as its ASCII digit: Python's `isdigit`, `int` and `float` treat them
 * alike, and the lexer only asks whether a character is a digit, so the tokens keep their shape.
 */
function asciiDigits(text: string): string {
  if (!NON_ASCII.test(text)) return text;
  let out = "";
  for (const c of text) {
    const d = digitValue(c.codePointAt(0) as number);
    out += d >= 0 ? String(d) : c;
  }
  return out;
}

/** `_timelex.split`: runs of letters, of digits (with `.` / `,` inside), single other characters. */
function tokens(text: string): string[] {
  const chars = [...text].filter((c) => c !== "\0");
  const out: string[] = [];
  let i = 0;
  while (i < chars.length) {
    let token = chars[i++];
    let state: "a" | "0" | "a." | "0." | null = null;
    let seenLetters = false;
    if (LETTER.test(token)) state = "a";
    else if (DIGIT.test(token)) state = "0";
    else if (SPACE.test(token)) token = " ";
    while (state !== null && i < chars.length) {
      const c = chars[i];
      if (state === "a") {
        seenLetters = true;
        if (LETTER.test(c)) token += c;
        else if (c === ".") {
          token += c;
          state = "a.";
        } else break;
      } else if (state === "0") {
        if (DIGIT.test(c)) token += c;
        else if (c === "." || (c === "," && token.length >= 2)) {
          token += c;
          state = "0.";
        } else break;
      } else if (state === "a.") {
        seenLetters = true;
        if (c === "." || LETTER.test(c)) token += c;
        else if (DIGIT.test(c) && token.endsWith(".")) {
          token += c;
          state = "0.";
        } else break;
      } else {
        if (c === "." || DIGIT.test(c)) token += c;
        else if (LETTER.test(c) && token.endsWith(".")) {
          token += c;
          state = "a.";
        } else break;
      }
      i++;
    }
    const dots = token.split(".").length - 1;
    if (
      (state === "a." || state === "0.") &&
      (seenLetters || dots > 1 || token.endsWith(".") || token.endsWith(","))
    ) {
      const parts = token.split(/([.,])/);
      token = parts[0];
      if (state === "0." && !token.includes(".")) token = token.replaceAll(",", ".");
      out.push(token, ...parts.slice(1).filter((p) => p !== ""));
      continue;
    }
    if (state === "0." && dots === 0) token = token.replaceAll(",", ".");
    out.push(token);
  }
  return out;
}

/** Python's `int()` of a token (digits only, after asciiDigits). */
function int(text: string | undefined): number {
  if (text === undefined || !DIGITS.test(text)) return fail();
  return Number(text);
}

/** `_to_decimal`: a finite decimal number, else ValueError. */
function decimal(text: string | undefined): number {
  if (text === undefined || !DECIMAL.test(text)) return fail();
  return Number(text);
}

/** `_parsems`: "S[.ffffff]" as [seconds, microseconds]. */
function secondsAndMicros(text: string | undefined): [number, number] {
  if (text === undefined) return fail();
  const dot = text.indexOf(".");
  if (dot < 0) return [int(text), 0];
  return [
    int(text.slice(0, dot)),
    int(
      text
        .slice(dot + 1)
        .padEnd(6, "0")
        .slice(0, 6),
    ),
  ];
}

/** `_parse_min_sec`: a minutes value, its fraction as seconds. */
function minutesAndSeconds(value: number): [number, number | null] {
  const fraction = value % 1;
  return [Math.trunc(value), fraction ? Math.trunc(60 * fraction) : null];
}

/** dateutil's `_ymd`: the numbers that may be year, month or day, with what is known of them. */
class Ymd {
  readonly values: number[] = [];
  centurySpecified = false;
  yearIndex: number | null = null;
  monthIndex: number | null = null;
  dayIndex: number | null = null;

  get length(): number {
    return this.values.length;
  }

  /** Python's list indexing, negative from the end. */
  at(i: number): number {
    const v = this.values[i < 0 ? this.values.length + i : i];
    return v === undefined ? fail() : v;
  }

  couldBeDay(value: number): boolean {
    if (this.dayIndex !== null) return false;
    if (this.monthIndex === null) return value >= 1 && value <= 31;
    const month = this.at(this.monthIndex);
    if (month < 1 || month > 12) return fail();
    const year = this.yearIndex === null ? 2000 : this.at(this.yearIndex);
    return value >= 1 && value <= daysInMonth(year, month);
  }

  append(given: string | number | undefined, label?: "Y" | "M" | "D"): void {
    const value = given ?? fail();
    let kind = label;
    if (typeof value === "string" ? DIGITS.test(value) && value.length > 2 : value > 100) {
      this.centurySpecified = true;
      if (kind !== undefined && kind !== "Y") fail();
      kind = "Y";
    }
    this.values.push(typeof value === "string" ? int(value) : Math.trunc(value));
    const index = this.values.length - 1;
    if (kind === "M") {
      if (this.monthIndex !== null) fail();
      this.monthIndex = index;
    } else if (kind === "D") {
      if (this.dayIndex !== null) fail();
      this.dayIndex = index;
    } else if (kind === "Y") {
      if (this.yearIndex !== null) fail();
      this.yearIndex = index;
    }
  }

  /** `resolve_ymd(yearfirst=False, dayfirst=False)`: [year, month, day], null where unknown. */
  resolve(): [number | null, number | null, number | null] {
    const n = this.values.length;
    const known = [this.yearIndex, this.monthIndex, this.dayIndex];
    const knownCount = known.filter((i) => i !== null).length;
    if ((n === knownCount && n > 0) || (n === 3 && knownCount === 2)) {
      const indices = known.map((i) => i);
      if (n === 3 && knownCount === 2) {
        const missing = [0, 1, 2].find((i) => !indices.includes(i)) as number;
        indices[indices.indexOf(null)] = missing;
      }
      const [y, m, d] = indices.map((i) => (i === null ? null : this.at(i)));
      return [y, m, d];
    }
    const v = this.values;
    const mi = this.monthIndex;
    if (n > 3) return fail();
    if (n === 1 || (mi !== null && n === 2)) {
      const month = mi === null ? null : v[mi];
      const other = mi === null ? v[0] : this.at(mi - 1);
      if (n > 1 || mi === null) return other > 31 ? [other, month, null] : [null, month, other];
      return [null, month, null];
    }
    if (n === 2) {
      if (v[0] > 31) return [v[0], v[1], null];
      if (v[1] > 31) return [v[1], v[0], null];
      return [null, v[0], v[1]];
    }
    if (n === 3) {
      if (mi === 0) return v[1] > 31 ? [v[1], v[0], v[2]] : [v[2], v[0], v[1]];
      if (mi === 1) return v[0] > 31 ? [v[0], v[1], v[2]] : [v[2], v[1], v[0]];
      if (mi === 2) return v[1] > 31 ? [v[1], v[2], v[0]] : [v[0], v[2], v[1]];
      if (v[0] > 31 || this.yearIndex === 0) return [v[0], v[1], v[2]];
      if (v[0] > 12) return [v[2], v[1], v[0]];
      return [v[2], v[0], v[1]];
    }
    return [null, null, null];
  }
}

/** The fields `_parse` fills (`parser._result`). */
interface Result {
  year: number | null;
  month: number | null;
  day: number | null;
  weekday: number | null;
  hour: number | null;
  minute: number | null;
  second: number | null;
  microsecond: number | null;
  tzname: string | null;
  tzoffset: number | null;
  ampm: number | null;
}

const adjustAmpm = (hour: number, ampm: number) =>
  hour < 12 && ampm === 1 ? hour + 12 : hour === 12 && ampm === 0 ? 0 : hour;

function couldBeTzname(res: Result, tzoffset: number | null, token: string): boolean {
  return (
    res.hour !== null &&
    res.tzname === null &&
    tzoffset === null &&
    token.length <= 5 &&
    (/^[A-Z]+$/.test(token) || UTC_NAMES.includes(token))
  );
}

/** `_find_hms_idx` (with `allow_jump`). */
function hmsIndex(idx: number, l: readonly string[]): number | null {
  if (idx + 1 < l.length && hmsOf(l[idx + 1]) !== undefined) return idx + 1;
  if (idx + 2 < l.length && l[idx + 1] === " " && hmsOf(l[idx + 2]) !== undefined) return idx + 2;
  if (idx > 0 && hmsOf(l[idx - 1]) !== undefined) return idx - 1;
  if (idx > 1 && idx === l.length - 1 && l[idx - 1] === " " && hmsOf(l[idx - 2]) !== undefined)
    return idx - 2;
  return null;
}

/** `_assign_hms`: a number labelled hour (0), minute (1) or second (2). */
function assignHms(res: Result, repr: string, hms: number): void {
  const value = decimal(repr);
  if (hms === 0) {
    res.hour = Math.trunc(value);
    if (value % 1) res.minute = Math.trunc(60 * (value % 1));
  } else if (hms === 1) [res.minute, res.second] = minutesAndSeconds(value);
  else if (hms === 2) [res.second, res.microsecond] = secondsAndMicros(repr);
}

/** `_parse_numeric_token`: reads a number and what follows it; returns the index to go on from. */
function numericToken(l: string[], start: number, ymd: Ymd, res: Result): number {
  let idx = start;
  const repr = l[idx];
  const value = decimal(repr);
  const n = l.length;
  const length = repr.length;
  if (
    ymd.length === 3 &&
    (length === 2 || length === 4) &&
    res.hour === null &&
    (idx + 1 >= n || (l[idx + 1] !== ":" && hmsOf(l[idx + 1]) === undefined))
  ) {
    // 19990101T23[59]
    res.hour = int(repr.slice(0, 2));
    if (length === 4) res.minute = int(repr.slice(2));
  } else if (length === 6 || (length > 6 && repr.indexOf(".") === 6)) {
    // YYMMDD or HHMMSS[.ss]
    if (ymd.length === 0 && !repr.includes(".")) {
      ymd.append(repr.slice(0, 2));
      ymd.append(repr.slice(2, 4));
      ymd.append(repr.slice(4));
    } else {
      res.hour = int(repr.slice(0, 2));
      res.minute = int(repr.slice(2, 4));
      [res.second, res.microsecond] = secondsAndMicros(repr.slice(4));
    }
  } else if (length === 8 || length === 12 || length === 14) {
    // YYYYMMDD[HHMM[SS]]
    ymd.append(repr.slice(0, 4), "Y");
    ymd.append(repr.slice(4, 6));
    ymd.append(repr.slice(6, 8));
    if (length > 8) {
      res.hour = int(repr.slice(8, 10));
      res.minute = int(repr.slice(10, 12));
      if (length > 12) res.second = int(repr.slice(12));
    }
  } else if (hmsIndex(idx, l) !== null) {
    // HH[ ]h or MM[ ]m or SS[.ss][ ]s
    const at = hmsIndex(idx, l) as number;
    let hms: number;
    if (at > idx) {
      hms = hmsOf(l[at]) as number;
      idx = at;
    } else hms = (hmsOf(l[at]) as number) + 1;
    assignHms(res, repr, hms);
  } else if (idx + 2 < n && l[idx + 1] === ":") {
    // HH:MM[:SS[.ss]]
    res.hour = Math.trunc(value);
    [res.minute, res.second] = minutesAndSeconds(decimal(l[idx + 2]));
    if (idx + 4 < n && l[idx + 3] === ":") {
      [res.second, res.microsecond] = secondsAndMicros(l[idx + 4]);
      idx += 2;
    }
    idx += 2;
  } else if (idx + 1 < n && ["-", "/", "."].includes(l[idx + 1])) {
    const sep = l[idx + 1];
    ymd.append(repr);
    if (idx + 2 < n && !jump(l[idx + 2])) {
      if (DIGITS.test(l[idx + 2])) ymd.append(l[idx + 2]);
      else ymd.append(monthOf(l[idx + 2]) ?? fail(), "M");
      if (idx + 3 < n && l[idx + 3] === sep) {
        const next = l[idx + 4] ?? fail();
        const month = monthOf(next);
        if (month !== undefined) ymd.append(month, "M");
        else ymd.append(next);
        idx += 2;
      }
      idx += 1;
    }
    idx += 1;
  } else if (idx + 1 >= n || jump(l[idx + 1])) {
    const ampm = ampmOf(l[idx + 2]);
    if (idx + 2 < n && ampm !== undefined) {
      // 12 am
      res.hour = adjustAmpm(Math.trunc(value), ampm);
      idx += 1;
    } else ymd.append(value);
    idx += 1;
  } else if (ampmOf(l[idx + 1]) !== undefined && value >= 0 && value < 24) {
    // 12am
    res.hour = adjustAmpm(Math.trunc(value), ampmOf(l[idx + 1]) as number);
    idx += 1;
  } else if (ymd.couldBeDay(value)) ymd.append(value);
  else fail();
  return idx;
}

/** `parser._parse` (not fuzzy): the fields read, or throws NotADate. */
function parseFields(text: string, today: () => Date): { res: Result; centurySpecified: boolean } {
  const res: Result = {
    year: null,
    month: null,
    day: null,
    weekday: null,
    hour: null,
    minute: null,
    second: null,
    microsecond: null,
    tzname: null,
    tzoffset: null,
    ampm: null,
  };
  const l = tokens(asciiDigits(text));
  const ymd = new Ymd();
  for (let i = 0; i < l.length; i++) {
    const token = l[i];
    // float(token) succeeds for digits and for inf / nan, which `_to_decimal` then refuses.
    if (DECIMAL.test(token) || /^(?:inf|infinity|nan)$/i.test(token)) {
      i = numericToken(l, i, ymd, res);
    } else if (weekdayOf(token) !== undefined) res.weekday = weekdayOf(token) as number;
    else if (monthOf(token) !== undefined) {
      ymd.append(monthOf(token), "M");
      if (i + 1 < l.length) {
        if (l[i + 1] === "-" || l[i + 1] === "/") {
          // Jan-01[-99]
          const sep = l[i + 1];
          ymd.append(l[i + 2]);
          if (i + 3 < l.length && l[i + 3] === sep) {
            ymd.append(l[i + 4]);
            i += 2;
          }
          i += 2;
        } else if (
          i + 4 < l.length &&
          l[i + 1] === " " &&
          l[i + 3] === " " &&
          l[i + 2].toLowerCase() === "of"
        ) {
          // Jan of 01: 01 is the year
          if (DIGITS.test(l[i + 4])) ymd.append(String(convertYear(int(l[i + 4]), false, today)), "Y");
          i += 4;
        }
      }
    } else if (ampmOf(token) !== undefined) {
      if (res.hour === null || res.hour < 0 || res.hour > 12) fail();
      const ampm = ampmOf(token) as number;
      res.hour = adjustAmpm(res.hour as number, ampm);
      res.ampm = ampm;
    } else if (couldBeTzname(res, res.tzoffset, token)) {
      res.tzname = token;
      res.tzoffset = ["utc", "gmt", "z"].includes(token) ? 0 : null;
      if (i + 1 < l.length && (l[i + 1] === "+" || l[i + 1] === "-")) {
        // GMT+3 means "my time +3 is GMT": the sign is reversed.
        l[i + 1] = l[i + 1] === "+" ? "-" : "+";
        res.tzoffset = null;
        if (isUtcName(token)) res.tzname = null;
      }
    } else if (res.hour !== null && (token === "+" || token === "-")) {
      const sign = token === "+" ? 1 : -1;
      const offset = l[i + 1] ?? fail();
      let hours = 0;
      let minutes = 0;
      if (offset.length === 4) {
        hours = int(offset.slice(0, 2));
        minutes = int(offset.slice(2));
      } else if (i + 2 < l.length && l[i + 2] === ":") {
        hours = int(offset);
        minutes = int(l[i + 3]);
        i += 2;
      } else if (offset.length <= 2) {
        hours = int(offset.slice(0, 2));
      } else fail();
      res.tzoffset = sign * (hours * 3600 + minutes * 60);
      // -0300 (BRST)
      if (
        i + 5 < l.length &&
        jump(l[i + 2]) &&
        l[i + 3] === "(" &&
        l[i + 5] === ")" &&
        l[i + 4].length >= 3 &&
        couldBeTzname(res, null, l[i + 4])
      ) {
        res.tzname = l[i + 4];
        i += 4;
      }
      i += 1;
    } else if (!jump(token)) fail();
  }
  const [year, month, day] = ymd.resolve();
  res.year = year;
  res.month = month;
  res.day = day;
  return { res, centurySpecified: ymd.centurySpecified };
}

/** `parserinfo.convertyear`: a two-digit year to within 50 years of now. */
function convertYear(year: number, centurySpecified: boolean, today: () => Date): number {
  if (year >= 100 || centurySpecified) return year;
  const current = today().getFullYear();
  let y = year + Math.floor(current / 100) * 100;
  if (y >= current + 50) y -= 100;
  else if (y < current - 50) y += 100;
  return y;
}

/**
 * Whether `dateutil.parser.parse(text)` returns a datetime. `now` stands for the clock dateutil
 * reads (the default for missing fields and the century of two-digit years).
 */
export function isDateutilParseable(text: string, now?: Date): boolean {
  // Every ISO 8601 date or date-time that isoInstant reads, dateutil reads too (checked against
  // dateutil on 20,000 generated texts): the common case in a stream, without allocating.
  if (!Number.isNaN(isoInstant(text))) return true;
  // The clock is read only when a field is missing or a year has two digits.
  let clock = now;
  const today = () => {
    clock ??= new Date();
    return clock;
  };
  let parsed: ReturnType<typeof parseFields>;
  try {
    parsed = parseFields(text, today);
  } catch (error) {
    if (error instanceof NotADate) return false;
    throw error;
  }
  const { res } = parsed;
  if (res.year !== null) res.year = convertYear(res.year, parsed.centurySpecified, today);
  if (Object.values(res).every((v) => v === null)) return false; // "String does not contain a date"
  return buildsDate(res, today);
}

/** `_build_naive`: `default.replace(**fields)` succeeds (and a weekday shift stays in range). */
function buildsDate(res: Result, today: () => Date): boolean {
  const year = res.year ?? today().getFullYear();
  const month = res.month ?? today().getMonth() + 1;
  if (month < 1 || month > 12 || year < 1 || year > 9999) return false;
  let day = res.day ?? today().getDate();
  if (res.day === null) day = Math.min(day, daysInMonth(year, month));
  if (day < 1 || day > daysInMonth(year, month)) return false;
  if ((res.hour ?? 0) > 23 || (res.minute ?? 0) > 59 || (res.second ?? 0) > 59) return false;
  if (res.weekday !== null && !res.day) {
    // relativedelta(weekday=...) moves forward to that weekday; past 9999-12-31 it overflows.
    const ordinal = ordinalOf(year, month, day);
    if (dateOfOrdinal(ordinal + ((res.weekday - weekdayOfOrdinal(ordinal) + 7) % 7)) === null) return false;
  }
  return true;
}
