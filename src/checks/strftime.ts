import {
  dateOfOrdinal,
  daysInMonth,
  isLeapYear,
  ordinalOf,
  PYTHON_SPACE,
  parseDigits,
  weekdayOfOrdinal,
} from "./datetime.js";

/**
 * Python's `datetime.strptime(text, format)` as a validator: which texts it accepts for a format,
 * and the fields it reads (C locale, as GE runs). `expect_column_values_to_match_strftime_format`
 * counts a value as expected exactly when Python's strptime would return a datetime.
 *
 * Written by hand after CPython's `_strptime.py` (3.11): no npm library reproduces Python's
 * strptime; they implement C's strptime, or formatting only, and differ from Python in what they
 * accept (Python's regular expressions per directive, `\d` matching any Unicode digit, case-blind
 * literals, runs of whitespace, "unconverted data remains", the date checks of `datetime`). The
 * format compiles once to one regular expression, as Python does; a value costs one match and a
 * few integer checks.
 */

/** A format Python's strptime refuses for every value (bad directive, stray `%`, ...). */
export class StrftimeFormatError extends Error {
  override readonly name = "StrftimeFormatError";
}

/** What Python's strptime reads from a text (`datetime` fields; `utcOffset` in seconds, or null). */
export interface StrptimeFields {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly microsecond: number;
  readonly utcOffset: number | null;
}

/** A compiled format. */
export interface Strptime {
  readonly format: string;
  /** The fields Python would read, or null where `datetime.strptime` raises ValueError. */
  parse(text: string): StrptimeFields | null;
  /** Whether `datetime.strptime(text, format)` succeeds. */
  test(text: string): boolean;
}

const D = "\\p{Nd}";

/** C-locale names, lower case, in Python's order (`LocaleTime`). */
const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const MONTHS = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];
const WEEKDAY_ABBR = WEEKDAYS.map((d) => d.slice(0, 3));
const MONTH_ABBR = MONTHS.map((m) => m.slice(0, 3));

/** Python's `__seqToRE`: the names, longest first (a stable sort), as alternatives. */
function alternatives(names: readonly string[]): string {
  return [...names].sort((a, b) => b.length - a.length).join("|");
}

/** Each directive's pattern, as `TimeRE` has it (the capturing group is added by the compiler). */
const DIRECTIVES: Readonly<Record<string, string>> = {
  d: `3[0-1]|[1-2]${D}|0[1-9]|[1-9]| [1-9]`,
  f: "[0-9]{1,6}",
  H: `2[0-3]|[0-1]${D}|${D}`,
  I: "1[0-2]|0[1-9]|[1-9]",
  G: `${D}${D}${D}${D}`,
  j: `36[0-6]|3[0-5]${D}|[1-2]${D}${D}|0[1-9]${D}|00[1-9]|[1-9]${D}|0[1-9]|[1-9]`,
  m: "1[0-2]|0[1-9]|[1-9]",
  M: `[0-5]${D}|${D}`,
  S: `6[0-1]|[0-5]${D}|${D}`,
  U: `5[0-3]|[0-4]${D}|${D}`,
  W: `5[0-3]|[0-4]${D}|${D}`,
  w: "[0-6]",
  u: "[1-7]",
  V: `5[0-3]|0[1-9]|[1-4]${D}|${D}`,
  y: `${D}${D}`,
  Y: `${D}${D}${D}${D}`,
  // Python writes the "Z" alternative case-sensitive, `(?-i:Z)`; JavaScript (Node 20) has no
  // scoped flags, so a lower-case "z" is refused after the match instead.
  z: `[+-]${D}${D}:?[0-5]${D}(?::?[0-5]${D}(?:\\.${D}{1,6})?)?|Z`,
  A: alternatives(WEEKDAYS),
  a: alternatives(WEEKDAY_ABBR),
  B: alternatives(MONTHS),
  b: alternatives(MONTH_ABBR),
  p: "am|pm",
  // The C locale's zone names; Python adds the host's `time.tzname`, which for GE's runners is UTC.
  Z: "utc|gmt",
};

/** Directives Python's `TimeRE` builds from other directives (the C locale's `%c`, `%x`, `%X`). */
const COMPOSITES: Readonly<Record<string, string>> = {
  c: "%a %b %d %H:%M:%S %Y",
  x: "%m/%d/%y",
  X: "%H:%M:%S",
};

const REGEX_SPECIAL = /[\\.^$*+?(){}[\]|]/g;
const SPACE_RUN = new RegExp(`[${PYTHON_SPACE}]+`, "gu");
// Python puts `\s+` in the pattern: a run of its whitespace.
const SPACE_PATTERN = `[${PYTHON_SPACE}]+`;

/**
 * Python's `TimeRE.pattern`: regex characters of the format escaped, runs of whitespace made
 * `\s+`, each directive replaced by its group; `directives` collects the groups in order.
 */
function patternOf(format: string, whole: string, directives: string[]): string {
  const escaped = format.replace(REGEX_SPECIAL, "\\$&").replace(SPACE_RUN, SPACE_PATTERN);
  let out = "";
  let i = 0;
  while (i < escaped.length) {
    const percent = escaped.indexOf("%", i);
    if (percent < 0) {
      out += escaped.slice(i);
      break;
    }
    out += escaped.slice(i, percent);
    if (percent + 1 >= escaped.length) throw new StrftimeFormatError(`stray % in format '${whole}'`);
    const directive = escaped[percent + 1];
    i = percent + 2;
    if (directive === "%") out += "%";
    else if (directive in COMPOSITES) out += patternOf(COMPOSITES[directive], whole, directives);
    else if (Object.hasOwn(DIRECTIVES, directive)) {
      if (directives.includes(directive))
        throw new StrftimeFormatError(`redefinition of group name '${directive}' in format '${whole}'`);
      directives.push(directive);
      out += `(${DIRECTIVES[directive]})`;
    } else
      throw new StrftimeFormatError(
        `'${directive === "\\" ? "%" : directive}' is a bad directive in format '${whole}'`,
      );
  }
  return out;
}

/**
 * The combinations `_strptime` refuses whatever the value (it raises them after matching, but
 * only the directives decide), checked once when the format is compiled.
 */
function checkCombinations(directives: readonly string[], format: string): void {
  const has = (d: string) => directives.includes(d);
  const hasWeekday = has("A") || has("a") || has("w") || has("u");
  const hasYear = has("Y") || has("y");
  if (!hasYear && has("G")) {
    if (!has("V") || !hasWeekday)
      throw new StrftimeFormatError(
        `ISO year directive '%G' must be used with the ISO week directive '%V' and a weekday directive ('%A', '%a', '%w', or '%u') (format '${format}')`,
      );
    if (has("j"))
      throw new StrftimeFormatError(
        `Day of the year directive '%j' is not compatible with ISO year directive '%G'; use '%Y' instead (format '${format}')`,
      );
  } else if (has("V") && !has("U") && !has("W"))
    throw new StrftimeFormatError(
      hasWeekday
        ? `ISO week directive '%V' is incompatible with the year directive '%Y'; use the ISO year '%G' instead (format '${format}')`
        : `ISO week directive '%V' must be used with the ISO year directive '%G' and a weekday directive (format '${format}')`,
    );
}

/** `_calc_julian_from_U_or_W`: day of the year from a week number and a weekday (Monday 0). */
function julianFromWeek(year: number, week: number, weekday: number, startsMonday: boolean): number {
  let first = weekdayOfOrdinal(ordinalOf(year, 1, 1));
  let day = weekday;
  if (!startsMonday) {
    first = (first + 1) % 7;
    day = (day + 1) % 7;
  }
  if (week === 0) return 1 + day - first;
  return 1 + ((7 - first) % 7) + 7 * (week - 1) + day;
}

const MAX_OFFSET = 86_400;

/** A reading before any directive: Python's defaults (1900-01-01 00:00, unless a field is read). */
const EMPTY_READING: Readonly<Reading> = {
  year: null,
  isoYear: null,
  month: 1,
  day: 1,
  hour: 0,
  minute: 0,
  second: 0,
  fraction: 0,
  weekday: null,
  julian: null,
  week: null,
  weekStartsMonday: false,
  isoWeek: null,
  offset: null,
};

const emptyReading = (): Reading => ({ ...EMPTY_READING });

/** The mutable state `_strptime` fills from the groups, before its date checks. */
interface Reading {
  year: number | null;
  isoYear: number | null;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  fraction: number;
  weekday: number | null;
  julian: number | null;
  week: number | null;
  weekStartsMonday: boolean;
  isoWeek: number | null;
  offset: number | null;
}

/** Reads one directive's group as `_strptime` does; false where Python would raise ValueError. */
function readGroup(r: Reading, directive: string, text: string, ampm: string): boolean {
  switch (directive) {
    case "y": {
      const y = parseDigits(text);
      r.year = y <= 68 ? y + 2000 : y + 1900;
      return true;
    }
    case "Y":
      r.year = parseDigits(text);
      return true;
    case "G":
      r.isoYear = parseDigits(text);
      return true;
    case "m":
      r.month = parseDigits(text);
      return true;
    case "B":
    case "b": {
      const index = (directive === "B" ? MONTHS : MONTH_ABBR).indexOf(text.toLowerCase());
      r.month = index + 1;
      return index >= 0;
    }
    case "d":
      r.day = parseDigits(text.trimStart());
      return true;
    case "H":
      r.hour = parseDigits(text);
      return true;
    case "I": {
      const hour = parseDigits(text);
      // Without %p the hour is read as AM; 12 AM is midnight, 12 PM noon.
      r.hour = ampm === "pm" ? (hour === 12 ? 12 : hour + 12) : hour === 12 ? 0 : hour;
      return true;
    }
    case "M":
      r.minute = parseDigits(text);
      return true;
    case "S":
      r.second = parseDigits(text);
      return true;
    case "f":
      r.fraction = Number(text.padEnd(6, "0"));
      return true;
    case "A":
    case "a": {
      const index = (directive === "A" ? WEEKDAYS : WEEKDAY_ABBR).indexOf(text.toLowerCase());
      r.weekday = index;
      return index >= 0;
    }
    case "w": {
      const w = parseDigits(text);
      r.weekday = w === 0 ? 6 : w - 1;
      return true;
    }
    case "u":
      r.weekday = parseDigits(text) - 1;
      return true;
    case "j":
      r.julian = parseDigits(text);
      return true;
    case "U":
    case "W":
      r.week = parseDigits(text);
      r.weekStartsMonday = directive === "W";
      return true;
    case "V":
      r.isoWeek = parseDigits(text);
      return true;
    case "z":
      return readOffset(r, text);
    default:
      // %p is read with %I; %Z only names UTC or GMT, which sets no offset in Python.
      return true;
  }
}

/** `%z`: "Z", or ±HH[:]MM[[:]SS[.ffffff]] with the colons used consistently (code points, as Python indexes). */
function readOffset(r: Reading, text: string): boolean {
  if (text === "Z") {
    r.offset = 0;
    return true;
  }
  if (text === "z") return false;
  let z = [...text];
  if (z[3] === ":") {
    z = [...z.slice(0, 3), ...z.slice(4)];
    if (z.length > 5) {
      if (z[5] !== ":") return false;
      z = [...z.slice(0, 5), ...z.slice(6)];
    }
  }
  const number = (from: number, to: number) => parseDigits(z.slice(from, to).join(""));
  const seconds = number(1, 3) * 3600 + number(3, 5) * 60 + (z.length > 5 ? number(5, 7) : 0);
  const fraction = z.length > 8 ? number(8, z.length) / 10 ** (z.length - 8) : 0;
  const magnitude = seconds + fraction;
  // int() of a misplaced colon raises; datetime.timezone needs |offset| under 24 hours.
  if (!(magnitude < MAX_OFFSET)) return false;
  r.offset = z[0] === "-" ? -magnitude : magnitude;
  return true;
}

/**
 * The date checks of `_strptime` and of the `datetime` constructor, on a filled reading; on
 * success the reading holds the final year, month and day.
 */
function finish(r: Reading): boolean {
  let year = r.year;
  let { month, day } = r;
  let leapYearFix = false;
  if (year === null && month === 2 && day === 29) {
    year = 1904;
    leapYearFix = true;
  } else if (year === null) year = 1900;
  if (year < 1 || year > 9999) return false;
  let julian = r.julian;
  if (julian === null && r.weekday !== null) {
    if (r.week !== null) julian = julianFromWeek(year, r.week, r.weekday, r.weekStartsMonday);
    else if (r.isoYear !== null && r.isoWeek !== null) {
      if (r.isoYear < 1) return false;
      // isoweekday() of January 4th, plus 3
      const correction = weekdayOfOrdinal(ordinalOf(r.isoYear, 1, 4)) + 1 + 3;
      let isoYear = r.isoYear;
      let ordinal = r.isoWeek * 7 + r.weekday + 1 - correction;
      if (ordinal < 1) {
        if (isoYear < 2) return false;
        ordinal += ordinalOf(isoYear, 1, 1);
        isoYear -= 1;
        ordinal -= ordinalOf(isoYear, 1, 1);
      }
      year = isoYear;
      julian = ordinal;
    }
    if (julian !== null && julian <= 0) {
      year -= 1;
      if (year < 1) return false;
      julian += isLeapYear(year) ? 366 : 365;
    }
  }
  if (julian === null) {
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  } else {
    const date = dateOfOrdinal(julian - 1 + ordinalOf(year, 1, 1));
    if (date === null) return false;
    [year, month, day] = date;
  }
  if (leapYearFix) year = 1900;
  // datetime(year, month, day, ...) itself: Feb 29 of 1900, and seconds 60 and 61, are refused.
  if (day > daysInMonth(year, month) || r.second > 59) return false;
  r.year = year;
  r.month = month;
  r.day = day;
  return true;
}

/**
 * Compiles a Python strftime format for parsing. Throws StrftimeFormatError for a format Python
 * refuses whatever the value: a bad directive (`%D`, `%s`, `%-d`), a stray `%`, a directive given
 * twice, or an ISO week without its ISO year and weekday. Unlike GE's own check of the format, `%z`
 * and `%Z` are allowed (GE round-trips the format through a naive `now()`, which prints them empty).
 */
export function compileStrptime(format: string): Strptime {
  const directives: string[] = [];
  const pattern = patternOf(format, format, directives);
  checkCombinations(directives, format);
  // Python compiles with IGNORECASE and matches from the start; the whole text must be consumed.
  const regex = new RegExp(`^(?:${pattern})`, "iu");
  const ampmGroup = directives.indexOf("p") + 1;
  // One reading, reset per value: a check runs per event and need not allocate one each time.
  const reading = emptyReading();
  /** Matches and reads a text into `reading`; false where Python raises ValueError. */
  const read = (text: string): boolean => {
    const match = regex.exec(text);
    if (match === null || match[0].length !== text.length) return false;
    const ampm = ampmGroup > 0 ? match[ampmGroup].toLowerCase() : "";
    Object.assign(reading, EMPTY_READING);
    for (let g = 0; g < directives.length; g++)
      if (!readGroup(reading, directives[g], match[g + 1], ampm)) return false;
    return finish(reading);
  };
  const parse = (text: string): StrptimeFields | null =>
    read(text)
      ? {
          year: reading.year as number,
          month: reading.month,
          day: reading.day,
          hour: reading.hour,
          minute: reading.minute,
          second: reading.second,
          microsecond: reading.fraction,
          utcOffset: reading.offset,
        }
      : null;
  return { format, parse, test: read };
}
