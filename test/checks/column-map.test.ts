import { strict as assert } from "node:assert";
import { isoInstant } from "../../src/checks/datetime.js";
import { compileExpectation } from "../../src/checks/engine.js";
import { isDateutilParseable } from "../../src/checks/expectations/column-map-dateutil.js";
import { compilePythonRegex } from "../../src/checks/expectations/column-map-regex.js";
import { compileStrptime } from "../../src/checks/strftime.js";
import { ColumnTable } from "../../src/checks/table.js";
import { ExpectationError, type ExpectationResult } from "../../src/checks/types.js";

/** Runs an expectation over one column `v` (COMPLETE format). */
function run(type: string, kwargs: Record<string, unknown>, values: unknown[]): ExpectationResult {
  return compileExpectation({ type, kwargs: { column: "v", ...kwargs } }).evaluate(
    ColumnTable.fromColumns({ v: values }),
    { result_format: "COMPLETE" },
  );
}

/** The unexpected values of a run that must not raise. */
function unexpected(type: string, kwargs: Record<string, unknown>, values: unknown[]): unknown[] {
  const result = run(type, kwargs, values);
  assert.equal(result.exception_info.raised_exception, false, result.exception_info.exception_message ?? "");
  return result.result.unexpected_list as unknown[];
}

/** The error message of a run that must raise while evaluating. */
function raised(type: string, kwargs: Record<string, unknown>, values: unknown[]): string {
  const result = run(type, kwargs, values);
  assert.equal(result.exception_info.raised_exception, true, "expected an error");
  assert.equal(result.success, false);
  return result.exception_info.exception_message as string;
}

/** The verdict of a row-level expectation on one event, as the daemon asks it. */
function checkRow(type: string, kwargs: Record<string, unknown>, value: unknown): boolean | null {
  const e = compileExpectation({ type, kwargs: { column: "v", ...kwargs } });
  assert.ok(e.checkRow !== null, `${type} is row-level`);
  return e.checkRow((c) => (c === "v" ? value : undefined));
}

describe("column map expectations", () => {
  describe("value lengths", () => {
    const between = "expect_column_value_lengths_to_be_between";

    it("counts code points as Python's len does, and array items", () => {
      assert.deepEqual(
        unexpected(between, { min_value: 1, max_value: 1 }, ["😀", "é", "e\u0301", ["x"], []]),
        ["e\u0301", []],
      );
      assert.deepEqual(
        unexpected("expect_column_value_lengths_to_equal", { value: 2 }, ["ab", "👍🏽", "abc"]),
        ["abc"],
      );
    });

    it("honours strict bounds and a reversed range (every value unexpected, no error)", () => {
      assert.deepEqual(unexpected(between, { min_value: 2, max_value: 3, strict_min: true }, ["ab", "abc"]), [
        "ab",
      ]);
      assert.deepEqual(unexpected(between, { min_value: 2, max_value: 3, strict_max: true }, ["ab", "abc"]), [
        "abc",
      ]);
      assert.deepEqual(unexpected(between, { min_value: 3, max_value: 1 }, ["ab", "abc"]), ["ab", "abc"]);
    });

    it("refuses missing bounds at load and numbers at evaluation", () => {
      assert.throws(
        () => compileExpectation({ type: between, kwargs: { column: "v", min_value: null } }),
        ExpectationError,
      );
      assert.throws(
        () =>
          compileExpectation({
            type: "expect_column_value_lengths_to_equal",
            kwargs: { column: "v", value: "x" },
          }),
        ExpectationError,
      );
      assert.match(raised(between, { min_value: 1 }, ["a", 12]), /no length/);
    });
  });

  describe("values between", () => {
    const type = "expect_column_values_to_be_between";

    it("compares numbers with inclusive and strict bounds", () => {
      assert.deepEqual(unexpected(type, { min_value: 1, max_value: 3 }, [0, 1, 2.5, 3, 4]), [0, 4]);
      assert.deepEqual(
        unexpected(type, { min_value: 1, max_value: 3, strict_min: true, strict_max: true }, [1, 2, 3]),
        [1, 3],
      );
      assert.deepEqual(unexpected(type, { max_value: 0 }, [-1, 1, null]), [1]);
    });

    it("compares ISO 8601 date-times as instants, whatever their precision or offset", () => {
      const kwargs = { min_value: "2019-01-01", max_value: "2019-12-31T23:59:59" };
      const values = [
        "2019-01-01T00:00:00",
        "2018-12-31T23:59:59.999",
        "2019-06-01 12:00",
        "2019-12-31T23:00:00-02:00",
      ];
      assert.deepEqual(unexpected(type, kwargs, values), [
        "2018-12-31T23:59:59.999",
        "2019-12-31T23:00:00-02:00",
      ]);
    });

    it("orders other strings by code point, as Python does", () => {
      assert.deepEqual(unexpected(type, { min_value: "b", max_value: "\uffff" }, ["a", "b", "z", "😀"]), [
        "a",
        "😀",
      ]);
    });

    it("raises for a value of another type than the bounds, and for bad bounds at load", () => {
      assert.match(raised(type, { min_value: 1, max_value: 10 }, [1, "abc"]), /cannot compare/);
      assert.match(raised(type, { min_value: "a" }, [true]), /cannot compare/);
      for (const kwargs of [
        { min_value: 10, max_value: 0 },
        { min_value: "2020-01-01", max_value: "2019-01-01T00:00:00" },
        { min_value: 1, max_value: "2" },
        { min_value: null, max_value: null },
      ])
        assert.throws(
          () => compileExpectation({ type, kwargs: { column: "v", ...kwargs } }),
          ExpectationError,
        );
    });

    it("judges a single event for the daemon", () => {
      assert.equal(checkRow(type, { min_value: 0, max_value: 1 }, 0.5), true);
      assert.equal(checkRow(type, { min_value: 0, max_value: 1 }, 2), false);
      assert.equal(checkRow(type, { min_value: 0, max_value: 1 }, undefined), null);
    });
  });

  describe("z-scores", () => {
    const type = "expect_column_value_z_scores_to_be_less_than";

    it("uses the sample standard deviation, one- or two-sided", () => {
      // mean 2, sample std 1.58: z = -1.26, -0.63, 0, 0.63, 1.26
      const values = [0, 1, 2, 3, 4];
      assert.deepEqual(unexpected(type, { threshold: 1, double_sided: true }, values), [0, 4]);
      assert.deepEqual(unexpected(type, { threshold: 1, double_sided: false }, values), [4]);
    });

    it("finds no z-score in a constant window (pandas: 0/0) and refuses strings", () => {
      assert.deepEqual(unexpected(type, { threshold: 3, double_sided: true }, [5, 5, 5]), [5, 5, 5]);
      assert.match(raised(type, { threshold: 3, double_sided: true }, [1, "2"]), /not a number/);
    });
  });

  describe("increasing and decreasing", () => {
    it("compares each value with the previous non-missing one", () => {
      assert.deepEqual(
        unexpected("expect_column_values_to_be_increasing", {}, [null, 0, null, 2, 1, 1, 3]),
        [1],
      );
      assert.deepEqual(
        unexpected("expect_column_values_to_be_increasing", { strictly: true }, [0, 2, 1, 1, 3]),
        [1, 1],
      );
      assert.deepEqual(unexpected("expect_column_values_to_be_decreasing", {}, [3, 2, 2, 5, 1]), [5]);
    });

    it("orders ISO 8601 date-times as instants and refuses other strings", () => {
      const times = ["2020-01-01T10:00:00+02:00", "2020-01-01T09:00:00Z", "2020-01-01T08:30:00Z"];
      assert.deepEqual(unexpected("expect_column_values_to_be_increasing", {}, times), [
        "2020-01-01T08:30:00Z",
      ]);
      assert.match(raised("expect_column_values_to_be_increasing", {}, ["a", "b"]), /no order/);
      assert.match(raised("expect_column_values_to_be_increasing", {}, [1, "2020-01-01"]), /mixes/);
    });
  });

  describe("value sets and uniqueness", () => {
    it('treats 1 and 1.0 as one value and keeps "1", 1 and true apart', () => {
      const values = [1, 1.0, "1", true, 2];
      assert.deepEqual(unexpected("expect_column_values_to_be_in_set", { value_set: [1] }, values), [
        "1",
        true,
        2,
      ]);
      assert.deepEqual(unexpected("expect_column_values_to_not_be_in_set", { value_set: ["1", 2] }, values), [
        "1",
        2,
      ]);
    });

    it("compares arrays and objects by content, fails everything for an empty set", () => {
      const set = { value_set: [{ a: 1, b: [2] }] };
      assert.deepEqual(unexpected("expect_column_values_to_be_in_set", set, [{ b: [2], a: 1 }, { a: 1 }]), [
        { a: 1 },
      ]);
      assert.deepEqual(unexpected("expect_column_values_to_be_in_set", { value_set: [] }, ["x"]), ["x"]);
      assert.throws(
        () =>
          compileExpectation({
            type: "expect_column_values_to_not_be_in_set",
            kwargs: { column: "v", value_set: null },
          }),
        ExpectationError,
      );
    });

    it("marks every occurrence of a repeated value, keeping types apart", () => {
      const values = [1, "1", 1.0, { a: 1 }, { a: 1 }, null, null, "x"];
      assert.deepEqual(unexpected("expect_column_values_to_be_unique", {}, values), [
        1,
        1,
        { a: 1 },
        { a: 1 },
      ]);
    });
  });

  describe("types", () => {
    const type = "expect_column_values_to_be_of_type";
    const values = [1, 2.5, "s", true, [1], { a: 1 }, "2020-01-01T00:00:00"];

    it("maps GE's pandas, Python, SQL and Spark names onto JSON values", () => {
      assert.deepEqual(unexpected(type, { type_: "int64" }, values).length, 6);
      assert.deepEqual(unexpected(type, { type_: "INTEGER" }, [1, 2.5]), [2.5]);
      assert.deepEqual(unexpected(type, { type_: "float" }, [1, 2.5, "3"]), ["3"]);
      assert.deepEqual(unexpected(type, { type_: "StringType" }, ["a", 1]), [1]);
      assert.deepEqual(unexpected(type, { type_: "bool" }, [false, 0]), [0]);
      assert.deepEqual(unexpected(type, { type_: "list" }, [[1], { a: 1 }]), [{ a: 1 }]);
      assert.deepEqual(unexpected(type, { type_: "dict" }, [[1], { a: 1 }]), [[1]]);
      assert.deepEqual(unexpected(type, { type_: "datetime64" }, ["2020-01-01T00:00:00", "2020-13-01"]), [
        "2020-13-01",
      ]);
      assert.deepEqual(unexpected(type, { type_: "object" }, values), []);
    });

    it("takes any name of a type list, none when the list is null, and refuses unknown names", () => {
      const inList = "expect_column_values_to_be_in_type_list";
      assert.deepEqual(unexpected(inList, { type_list: ["str", "int"] }, values), [2.5, true, [1], { a: 1 }]);
      assert.deepEqual(unexpected(inList, { type_list: null }, values), []);
      assert.throws(
        () => compileExpectation({ type, kwargs: { column: "v", type_: "integr" } }),
        /unknown type "integr" \(did you mean "integer"\?\)/,
      );
    });
  });

  describe("nulls", () => {
    it("counts absent fields and nulls as missing, over all rows", () => {
      const table = ColumnTable.fromRows([{ v: 1 }, {}, { v: null }, { v: "x" }]);
      const notNull = compileExpectation({
        type: "expect_column_values_to_not_be_null",
        kwargs: { column: "v" },
      });
      const result = notNull.evaluate(table, { result_format: "COMPLETE" });
      assert.equal(result.success, false);
      assert.deepEqual(result.result.unexpected_index_list, [1, 2]);
      assert.equal(result.result.unexpected_percent, 50);
      const isNull = compileExpectation({
        type: "expect_column_values_to_be_null",
        kwargs: { column: "v", mostly: 0.5 },
      });
      assert.equal(isNull.evaluate(table).success, true);
      assert.equal(checkRow("expect_column_values_to_not_be_null", {}, undefined), false);
    });

    it("passes vacuously on an all-null column for the other expectations", () => {
      assert.equal(run("expect_column_values_to_match_regex", { regex: "x" }, [null, null]).success, true);
    });
  });

  describe("JSON", () => {
    it("accepts JSON text as Python's json.loads does, and nothing else", () => {
      const type = "expect_column_values_to_be_json_parseable";
      assert.deepEqual(unexpected(type, {}, ['{"a":1}', "[NaN, -Infinity]", '"NaN"', "{a:1}", 5, { a: 1 }]), [
        "{a:1}",
        5,
        { a: 1 },
      ]);
    });

    it("validates parsed strings and structured values against the schema, formats as annotations", () => {
      const type = "expect_column_values_to_match_json_schema";
      const json_schema = {
        type: "object",
        properties: { a: { type: "integer" }, d: { format: "date" } },
        required: ["a"],
      };
      const values = ['{"a":1}', '{"a":"x"}', "not json", { a: 2, d: "not a date" }, { b: 1 }];
      assert.deepEqual(unexpected(type, { json_schema }, values), ['{"a":"x"}', "not json", { b: 1 }]);
      assert.throws(
        () => compileExpectation({ type, kwargs: { column: "v", json_schema: { type: "nope" } } }),
        /not a valid JSON Schema/,
      );
    });
  });

  describe("regular expressions", () => {
    it("runs Python syntax with re.search semantics", () => {
      const type = "expect_column_values_to_match_regex";
      assert.deepEqual(unexpected(type, { regex: "^(?P<y>\\d{4})-(?P=y)$" }, ["2020-2020", "2020-2021"]), [
        "2020-2021",
      ]);
      assert.deepEqual(unexpected(type, { regex: "(?i)^abc$" }, ["ABC", "abc\n", "abc\n\n"]), ["abc\n\n"]);
      assert.deepEqual(unexpected(type, { regex: "^\\w+$" }, ["café", "١٢٣", "a-b"]), ["a-b"]);
      assert.deepEqual(unexpected(type, { regex: "b" }, ["abc", "xyz"]), ["xyz"]);
      // Non-strings are matched as their JSON text.
      assert.deepEqual(unexpected(type, { regex: "^\\d+$" }, [12, 1.5, true]), [1.5, true]);
    });

    it("handles lists with match_on any / all, and the negative forms", () => {
      const values = ["123", "abc", "a1"];
      const regex_list = ["\\d", "[a-z]"];
      assert.deepEqual(unexpected("expect_column_values_to_match_regex_list", { regex_list }, values), []);
      assert.deepEqual(
        unexpected("expect_column_values_to_match_regex_list", { regex_list, match_on: "all" }, values),
        ["123", "abc"],
      );
      assert.deepEqual(
        unexpected("expect_column_values_to_not_match_regex_list", { regex_list: ["\\d"] }, values),
        ["123", "a1"],
      );
      assert.deepEqual(unexpected("expect_column_values_to_not_match_regex", { regex: "^a" }, values), [
        "abc",
        "a1",
      ]);
    });

    it("refuses what JavaScript cannot mean the same way, and Python's own errors, at load", () => {
      for (const regex of ["(?i:a)", "a++", "(?>a)", "\\q", "a(?i)", "[z-a]"])
        assert.throws(
          () =>
            compileExpectation({
              type: "expect_column_values_to_match_regex",
              kwargs: { column: "v", regex },
            }),
          ExpectationError,
          regex,
        );
      assert.throws(
        () =>
          compileExpectation({
            type: "expect_column_values_to_match_regex_list",
            kwargs: { column: "v", regex_list: [] },
          }),
        /must not be empty/,
      );
    });

    it("translates flags and escapes", () => {
      assert.equal(compilePythonRegex("(?s)a.b").test("a\nb"), true);
      assert.equal(compilePythonRegex("a.b").test("a\rb"), true);
      assert.equal(compilePythonRegex("a.b").test("a\nb"), false);
      assert.equal(compilePythonRegex("(?m)^b$").test("a\nb\nc"), true);
      assert.equal(compilePythonRegex("(?x) a b # comment\n c").test("abc"), true);
      assert.equal(compilePythonRegex("^a{,2}$").test("a{,2}"), false);
      assert.equal(compilePythonRegex("^a{,2}$").test("aa"), true);
      assert.equal(compilePythonRegex("x{y}").test("x{y}"), true);
      assert.equal(compilePythonRegex("\\U0001F600").test("😀"), true);
      assert.equal(compilePythonRegex("\\bfoo\\b").test("éfoo"), false);
      assert.equal(compilePythonRegex("(?a)\\bfoo\\b").test("éfoo"), true);
    });
  });

  describe("strftime formats", () => {
    const type = "expect_column_values_to_match_strftime_format";

    it("accepts exactly what Python's datetime.strptime accepts", () => {
      const values = ["2020-02-29", "2019-02-29", "2019-4-1", "2019-04-01 ", "2019-04-01T00", "2019-13-01"];
      assert.deepEqual(unexpected(type, { strftime_format: "%Y-%m-%d" }, values), [
        "2019-02-29",
        "2019-04-01 ",
        "2019-04-01T00",
        "2019-13-01",
      ]);
    });

    it("reads fields like Python: %y pivot, %p, case-blind text, whitespace runs, leap seconds refused", () => {
      const at = (format: string, text: string) => compileStrptime(format).parse(text);
      assert.equal(at("%y", "68")?.year, 2068);
      assert.equal(at("%y", "69")?.year, 1969);
      assert.equal(at("%I:%M %p", "12:05 am")?.hour, 0);
      assert.equal(at("%I:%M %p", "1:05 PM")?.hour, 13);
      assert.equal(at("%Y-%m-%dT%H", "2019-04-01t10")?.hour, 10);
      assert.equal(at("%d %B %Y", "1 \t april   2019")?.month, 4);
      assert.equal(at("%H:%M:%S", "10:00:60"), null);
      assert.equal(at("%m-%d", "02-29"), null); // year 1900
      assert.equal(at("%j %Y", "366 2019")?.year, 2020);
      assert.equal(at("%Y-W%W-%w", "2019-W00-0")?.day, 6);
      assert.equal(at("%Y", "٢٠١٩")?.year, 2019);
      assert.equal(at("%H:%M%z", "10:00+05:30")?.utcOffset, 19_800);
      assert.equal(at("%H:%M%z", "10:00z"), null);
      assert.equal(at("%H:%M%z", "10:00+24:00"), null);
    });

    it("refuses unusable formats at load and non-string values at evaluation", () => {
      for (const strftime_format of ["%D", "%s", "%", "%Y %Y", "%G-%V"])
        assert.throws(
          () => compileExpectation({ type, kwargs: { column: "v", strftime_format } }),
          /Unable to use provided strftime_format/,
          strftime_format,
        );
      assert.match(raised(type, { strftime_format: "%Y" }, [2019]), /must be of type string/);
    });
  });

  describe("dateutil", () => {
    it("accepts dateutil's formats and refuses impossible dates and words", () => {
      const now = new Date(2024, 5, 15);
      for (const text of [
        "2019-04-01",
        "01/01/2010",
        "Sep.20.2009",
        "4h30m",
        "12am",
        "19990101T23",
        "Jan of 01",
      ])
        assert.equal(isDateutilParseable(text, now), true, text);
      for (const text of ["abc", "2019-02-30", "13:00 pm", "", "25:00", "inf", "Feb 30"])
        assert.equal(isDateutilParseable(text, now), false, text);
      // Missing fields come from today: Feb 29 needs a leap year.
      assert.equal(isDateutilParseable("Feb 29", now), true);
      assert.equal(isDateutilParseable("Feb 29", new Date(2023, 0, 1)), false);
    });

    it("raises for non-strings, as GE does", () => {
      assert.match(
        raised("expect_column_values_to_be_dateutil_parseable", {}, ["2019-01-01", 5]),
        /must be of type string/,
      );
    });
  });

  describe("ISO instants", () => {
    it("reads dates, date-times, fractions and offsets, and refuses impossible dates", () => {
      assert.equal(isoInstant("1970-01-01"), 0);
      assert.equal(isoInstant("1970-01-01T00:00:01.5Z"), 1500);
      assert.equal(isoInstant("1970-01-01 02:00+02:00"), 0);
      assert.equal(isoInstant("1970-01-01T00:00:00-0100"), 3_600_000);
      assert.equal(isoInstant("2019-01-01T12:00:01"), Date.UTC(2019, 0, 1, 12, 0, 1));
      for (const text of [
        "2019-02-29",
        "2019-01-01T24:00",
        "2019-01-01T10",
        "01/01/2019",
        "2019-01-01T10:00+1",
      ])
        assert.ok(Number.isNaN(isoInstant(text)), text);
    });
  });
});
