/**
 * Calendar arithmetic and date-time text for expectations. A stream carries date-times as text;
 * driftwatch compares them as instants when both sides are ISO 8601, as GE compares pandas
 * datetimes. Everything here is a small pure function working on character codes, so a check that
 * runs per event parses without allocating.
 */

/** Whether `year` is a leap year in the proleptic Gregorian calendar (Python's `calendar.isleap`). */
export function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in a month (1-12) of a year (`calendar.monthrange(year, month)[1]`). */
export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : MONTH_DAYS[month - 1];
}

/**
 * Python's `date(year, month, day).toordinal()`: days since 0001-01-01, which is day 1, in the
 * proleptic Gregorian calendar. The arguments are not checked.
 */
export function ordinalOf(year: number, month: number, day: number): number {
  const y = year - 1;
  let days = y * 365 + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400);
  for (let m = 1; m < month; m++) days += daysInMonth(year, m);
  return days + day;
}

/** Python's `date.fromordinal(ordinal)` as `[year, month, day]`; null outside years 1-9999. */
export function dateOfOrdinal(ordinal: number): [number, number, number] | null {
  if (!Number.isInteger(ordinal) || ordinal < 1 || ordinal > ordinalOf(9999, 12, 31)) return null;
  // Years of 365.2425 days: start from an estimate and correct it by at most one.
  let year = Math.floor((ordinal - 1) / 365.2425) + 1;
  while (ordinalOf(year, 1, 1) > ordinal) year--;
  while (ordinalOf(year + 1, 1, 1) <= ordinal) year++;
  let rest = ordinal - ordinalOf(year, 1, 1) + 1;
  let month = 1;
  while (rest > daysInMonth(year, month)) rest -= daysInMonth(year, month++);
  return [year, month, rest];
}

/** Python's `date.weekday()` of an ordinal: Monday is 0, Sunday is 6. */
export function weekdayOfOrdinal(ordinal: number): number {
  return (ordinal + 6) % 7;
}

/**
 * Python's whitespace (`str.isspace()`, `\s` in a str pattern) as the contents of a regex class:
 * JavaScript's `\s` lacks U+001C-U+001F and U+0085 and adds U+FEFF.
 */
export const PYTHON_SPACE =
  "\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

const DECIMAL_DIGIT = /^\p{Nd}$/u;

/**
 * The value (0-9) of a Unicode decimal digit (general category Nd), or -1. Python's `int()` and
 * `\d` accept every such digit ("２０１９", "١٢"), so parsers that follow Python do too. Unicode
 * puts each script's digits in runs of ten from zero, so the value is the distance from the run's
 * start modulo ten.
 */
export function digitValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code < 128 || !DECIMAL_DIGIT.test(String.fromCodePoint(code))) return -1;
  let start = code;
  while (DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start--;
  return (code - start) % 10;
}

/**
 * Python's `int(text)` for text that is only decimal digits (any script); NaN otherwise. Used
 * on matched digit runs, which are short.
 */
export function parseDigits(text: string, start = 0, end = text.length): number {
  if (start >= end) return Number.NaN;
  let value = 0;
  for (let i = start; i < end; i++) {
    const code = text.codePointAt(i) as number;
    const digit = digitValue(code);
    if (digit < 0) return Number.NaN;
    value = value * 10 + digit;
    if (code > 0xffff) i++;
  }
  return value;
}

/** Reads `count` ASCII digits at `at`; -1 when any is not a digit. */
function digitsAt(text: string, at: number, count: number): number {
  if (at + count > text.length) return -1;
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

const MS_PER_DAY = 86_400_000;
const UNIX_EPOCH_ORDINAL = 719_163; // date(1970, 1, 1).toordinal()

/**
 * Milliseconds since the Unix epoch of an ISO 8601 date or date-time (`2019-01-01`,
 * `2019-01-01T12:00:01`, `2019-01-01 12:00`, `...:01.123456`, `...Z`, `...+02:00`, `...-0500`),
 * or NaN when the text is not one or names an impossible date. A naive date-time is read as UTC
 * (GE compares naive pandas datetimes with naive bounds; a stream has no local zone). Fractions
 * below a millisecond are kept as a fraction (exact to well under a microsecond for current dates).
 *
 * Written by hand rather than with `Date.parse`: that accepts many non-ISO forms and reads a
 * date-time without offset in the local zone; this runs per event and allocates nothing.
 */
export function isoInstant(text: string): number {
  const n = text.length;
  if (n < 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return Number.NaN;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return Number.NaN;
  let ms = (ordinalOf(year, month, day) - UNIX_EPOCH_ORDINAL) * MS_PER_DAY;
  if (n === 10) return ms;
  const separator = text.charCodeAt(10);
  if (separator !== 84 && separator !== 116 && separator !== 32) return Number.NaN; // T, t, space
  const hour = digitsAt(text, 11, 2);
  const minute = text.charCodeAt(13) === 58 ? digitsAt(text, 14, 2) : -1;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return Number.NaN;
  ms += (hour * 60 + minute) * 60_000;
  let at = 16;
  if (at < n && text.charCodeAt(at) === 58) {
    const second = digitsAt(text, at + 1, 2);
    if (second < 0 || second > 59) return Number.NaN;
    ms += second * 1000;
    at += 3;
    const mark = text.charCodeAt(at);
    if (at < n && (mark === 46 || mark === 44)) {
      let scale = 100;
      let fraction = 0;
      const first = ++at;
      for (; at < n; at++) {
        const d = text.charCodeAt(at) - 48;
        if (d < 0 || d > 9) break;
        fraction += d * scale;
        scale /= 10;
      }
      if (at === first) return Number.NaN;
      ms += fraction;
    }
  }
  if (at === n) return ms;
  const zone = text.charCodeAt(at);
  if ((zone === 90 || zone === 122) && at + 1 === n) return ms; // Z, z
  if (zone !== 43 && zone !== 45) return Number.NaN; // +, -
  const offsetHours = digitsAt(text, at + 1, 2);
  let offsetMinutes = 0;
  const rest = n - at - 3;
  if (rest === 3 && text.charCodeAt(at + 3) === 58) offsetMinutes = digitsAt(text, at + 4, 2);
  else if (rest === 2) offsetMinutes = digitsAt(text, at + 3, 2);
  else if (rest !== 0) return Number.NaN;
  if (offsetHours < 0 || offsetHours > 23 || offsetMinutes < 0 || offsetMinutes > 59) return Number.NaN;
  const offset = (offsetHours * 60 + offsetMinutes) * 60_000;
  return zone === 43 ? ms - offset : ms + offset;
}
