import { stat } from "node:fs/promises";
import type { Suite } from "../checks/suite.js";
import { analyzeColumnsParallel } from "../drift/analyze-parallel.js";
import { type ColumnInput, type DriftOptions, decideColumns } from "../drift/evaluate.js";
import { showValue, suggest, UserError } from "../errors.js";
import type { ColumnData, KindHint } from "../io/columns.js";
import { defaultReadLimits, type ReadLimits } from "../io/limits.js";
import type { RawValue } from "../io/raw.js";
import { categoricalOf, formatOf, type InputFormat } from "../io/read.js";
import { readTables, type TableSpec } from "../io/spec.js";
import type { Table } from "../io/table.js";
import { DEFAULT_MAX_SEGMENTS } from "../monitors/segments.js";
import { dataColumnsOf, runSuites } from "./checks.js";
import type { ChecksSection, DriftReport, ModelQuality, OutlierSection } from "./model.js";
import { modelQuality, outlierSection, type QualityRequest, qualityColumns } from "./quality.js";
import { type SegmentColumn, segmentsReport } from "./segments.js";

/** What `driftwatch report` compares and how. */
export interface ReportRequest {
  readonly reference: string;
  readonly current: string;
  readonly inputFormat?: InputFormat;
  /** Columns forced numeric / categorical. */
  readonly numeric: readonly string[];
  readonly categorical: readonly string[];
  /** Only these columns (all common columns when empty). */
  readonly columns: readonly string[];
  readonly ignore: readonly string[];
  readonly drift: DriftOptions;
  /** Label and prediction columns, for model quality (target and prediction drift come with the columns). */
  readonly quality?: QualityRequest;
  /** Whether to score the current rows for outliers against the reference rows. */
  readonly outliers?: boolean;
  /** Expectation suites to run over the current file (every column, whatever `columns` says). */
  readonly suites?: readonly Suite[];
  /** Progress callback: bytes read so far out of the total of both files. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Size limits enforced while the files are read (default `defaultReadLimits`). */
  readonly limits?: ReadLimits;
  /**
   * Cut the drift comparison by this column's values (`--segment-by`): it is left out of the
   * compared columns, and each of its values gets a section.
   */
  readonly segmentBy?: string;
  /** Segments of their own at most (default 20); the other values are pooled in `__other__`. */
  readonly maxSegments?: number;
}

/** `name@version` of this program, for the report's `generated_by`. */
export const GENERATED_BY = "driftwatch 0.1.0";

/**
 * Reads both files, types their columns consistently, and evaluates drift column by column with
 * the shared engine (`evaluateColumns`).
 */
export async function buildReport(request: ReportRequest): Promise<DriftReport> {
  const limits = request.limits ?? defaultReadLimits;
  const forced = new Map<string, KindHint>();
  for (const name of request.numeric) forced.set(name, "numeric");
  for (const name of request.categorical) {
    if (forced.get(name) === "numeric")
      throw new UserError(`column ${showValue(name)} is given both --numeric and --categorical`);
    forced.set(name, "categorical");
  }
  const wanted = new Set(request.columns);
  const by = request.segmentBy;
  // The segment column is read for its cells only: within a segment it has one value.
  const ignore = by === undefined ? request.ignore : [...request.ignore, by];
  const ignored = new Set(ignore);
  const include = (name: string): boolean => !ignored.has(name) && (wanted.size === 0 || wanted.has(name));

  const sizes = await Promise.all(
    [request.reference, request.current].map(async (path) => {
      try {
        return (await stat(path)).size;
      } catch (error) {
        throw new UserError(
          `${path}: cannot open: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        );
      }
    }),
  );
  const total = sizes[0] + sizes[1];
  let done = 0;
  const onProgress = (bytes: number): void => {
    done += bytes;
    request.onProgress?.(Math.min(done, total), total);
  };
  // One pass per file serves every section: suites need every column's raw cells, model quality
  // its columns' raw cells, outliers the numeric columns in row order.
  const suites = request.suites !== undefined && request.suites.length > 0;
  const q = request.quality;
  const roles = q === undefined ? [] : qualityColumns(q);
  const spec = (path: string): TableSpec => ({
    path,
    format: request.inputFormat,
    forced: [...forced.entries()],
    only: request.columns,
    ignore,
    limits,
    ...(suites || by !== undefined ? { keep: "all" as const } : roles.length > 0 ? { keep: roles } : {}),
    rowOrder: request.outliers === true,
  });
  let [reference, current] = await readTables(
    [spec(request.reference), spec(request.current)],
    total,
    onProgress,
  );

  // Column checks: every named column must exist on both sides, and the files must share columns.
  const refNames = new Set(reference.names);
  const curNames = new Set(current.names);
  for (const name of [...request.columns, ...forced.keys()]) {
    if (!refNames.has(name))
      throw new UserError(
        `${request.reference}: column ${showValue(name)} not found${suggest(name, reference.names)}`,
      );
    if (!curNames.has(name))
      throw new UserError(
        `${request.current}: column ${showValue(name)} not found${suggest(name, current.names)}`,
      );
  }
  if (by !== undefined) {
    if (!refNames.has(by))
      throw new UserError(
        `${request.reference}: --segment-by column ${showValue(by)} not found${suggest(by, reference.names)}`,
      );
    if (!curNames.has(by))
      throw new UserError(
        `${request.current}: --segment-by column ${showValue(by)} not found${suggest(by, current.names)}`,
      );
  }
  const common = reference.names.filter((name) => curNames.has(name) && include(name));
  for (const name of reference.names) {
    if (include(name) && !curNames.has(name)) {
      throw new UserError(
        `${request.current}: column ${showValue(name)} of the reference is missing (use --ignore ${name} or --columns to compare the others)`,
      );
    }
  }
  for (const name of current.names) {
    if (include(name) && !refNames.has(name)) {
      throw new UserError(
        `${request.reference}: column ${showValue(name)} of the current data is missing (use --ignore ${name} or --columns to compare the others)`,
      );
    }
  }
  if (common.length === 0)
    throw new UserError(`${request.reference} and ${request.current} have no common columns to compare`);

  // A column numeric on one side and text on the other is categorical on both: read it again.
  const byName = (table: Table): Map<string, ColumnData> => new Map(table.columns.map((c) => [c.name, c]));
  let refColumns = byName(reference);
  let curColumns = byName(current);
  const mixed = new Set(
    common.filter((name) => {
      const a = refColumns.get(name)?.kind;
      const b = curColumns.get(name)?.kind;
      return a !== b && a !== "skipped" && b !== "skipped";
    }),
  );
  const keptBoth = (name: string): boolean =>
    reference.raw?.has(name) === true && current.raw?.has(name) === true;
  if (mixed.size > 0 && [...mixed].every(keptBoth)) {
    // The file's own cells were kept while reading: the same columns as a re-read as text.
    for (const name of mixed) {
      refColumns.set(name, categoricalOf(name, reference.raw?.get(name) as RawValue[]));
      curColumns.set(name, categoricalOf(name, current.raw?.get(name) as RawValue[]));
    }
    reference = { ...reference, columns: [...refColumns.values()] };
    current = { ...current, columns: [...curColumns.values()] };
  } else if (mixed.size > 0) {
    const asText = (path: string): TableSpec => ({
      path,
      format: request.inputFormat,
      forced: [],
      otherwise: "categorical",
      only: [...mixed],
      ignore: [],
      limits,
    });
    const [refAgain, curAgain] = await readTables(
      [asText(request.reference), asText(request.current)],
      total,
    );
    refColumns = new Map([...refColumns, ...byName(refAgain)]);
    curColumns = new Map([...curColumns, ...byName(curAgain)]);
    reference = { ...reference, columns: [...refColumns.values()] };
    current = { ...current, columns: [...curColumns.values()] };
  }

  const skipped: { name: string; reason: string }[] = [];
  const inputs: ColumnInput[] = [];
  for (const name of common) {
    const ref = refColumns.get(name) as ColumnData;
    const cur = curColumns.get(name) as ColumnData;
    if (ref.kind === "skipped" || cur.kind === "skipped") {
      const reason = ref.kind === "skipped" ? ref.reason : (cur as { reason: string }).reason;
      skipped.push({ name, reason });
      continue;
    }
    if (ref.kind === "numeric" && cur.kind === "numeric") {
      inputs.push({
        name,
        kind: "numeric",
        reference: ref.sample,
        current: cur.sample,
        missing_reference: ref.missing,
        missing_current: cur.missing,
      });
    } else if (ref.kind === "categorical" && cur.kind === "categorical") {
      inputs.push({
        name,
        kind: "categorical",
        reference: ref.sample,
        current: cur.sample,
        missing_reference: ref.missing,
        missing_current: cur.missing,
      });
    }
  }
  const numericFeatures = inputs
    .filter((i) => i.kind === "numeric")
    .map((i) => i.name)
    .filter((name) => !roles.includes(name));
  // The cells of each compared column, for the segments (read before the analysis takes the samples).
  const segmentColumns: SegmentColumn[] =
    by === undefined
      ? []
      : inputs.map((input) => ({
          name: input.name,
          kind: input.kind,
          reference: reference.raw?.get(input.name) ?? [],
          current: current.raw?.get(input.name) ?? [],
        }));
  const evaluation = decideColumns(await analyzeColumnsParallel(inputs, request.drift), request.drift);
  const segments =
    by === undefined
      ? undefined
      : await segmentsReport(
          by,
          request.maxSegments ?? DEFAULT_MAX_SEGMENTS,
          { reference: reference.raw?.get(by) ?? [], current: current.raw?.get(by) ?? [] },
          segmentColumns,
          evaluation.dataset,
          request.drift,
        );
  let quality: ModelQuality | undefined;
  if (q !== undefined) {
    for (const name of roles) {
      if (!refNames.has(name))
        throw new UserError(
          `${request.reference}: column ${showValue(name)} not found${suggest(name, reference.names)}`,
        );
      if (!curNames.has(name))
        throw new UserError(
          `${request.current}: column ${showValue(name)} not found${suggest(name, current.names)}`,
        );
    }
    quality = modelQuality(q, rawRows(reference, roles), rawRows(current, roles));
  }
  let outliers: OutlierSection | undefined;
  if (request.outliers) {
    if (numericFeatures.length === 0)
      throw new UserError(
        "--outliers needs at least one numeric column besides the target, prediction and score",
      );
    outliers = outlierSection(
      numericFeatures,
      numericRows(reference, refColumns, numericFeatures),
      numericRows(current, curColumns, numericFeatures),
    );
  }
  let checks: ChecksSection[] | undefined;
  if (request.suites !== undefined && suites) {
    checks = runSuites(
      request.suites,
      dataColumnsOf(current, request.inputFormat ?? formatOf(request.current)),
      dataColumnsOf(reference, request.inputFormat ?? formatOf(request.reference)),
    );
  }
  return {
    columns: evaluation.columns,
    dataset: evaluation.dataset,
    skipped: [...skipped, ...evaluation.skipped],
    inputs: {
      reference: inputOf(reference),
      current: inputOf(current),
    },
    generated_by: GENERATED_BY,
    ...(request.quality
      ? {
          roles: {
            target: request.quality.target,
            prediction: request.quality.prediction,
            ...(request.quality.score === undefined ? {} : { score: request.quality.score }),
            ...(request.quality.probabilities === undefined
              ? {}
              : { probabilities: request.quality.probabilities.map((p) => p.column) }),
          },
        }
      : {}),
    ...(quality ? { quality } : {}),
    ...(outliers ? { outliers } : {}),
    ...(checks ? { checks } : {}),
    ...(segments ? { segments } : {}),
  };
}

/** A file's entry in the report's `inputs`: invalid UTF-8 only when there was some. */
function inputOf(table: Table): DriftReport["inputs"]["current"] {
  return {
    path: table.path,
    rows: table.rows,
    ...(table.invalidUtf8 === undefined ? {} : { invalid_utf8: table.invalidUtf8 }),
  };
}

/** Rows of the given columns' raw cells, in `columns` order (model quality pairs). */
function rawRows(table: Table, columns: readonly string[]): RawValue[][] {
  const lists = columns.map((name) => table.raw?.get(name) as RawValue[]);
  const rows: RawValue[][] = [];
  for (let r = 0; r < table.rows; r++) rows.push(lists.map((list) => list[r]));
  return rows;
}

/** Rows of numeric columns kept in row order (`rowOrder`), null where a value is missing. */
function numericRows(
  table: Table,
  columns: ReadonlyMap<string, ColumnData>,
  features: readonly string[],
): (number | null)[][] {
  const lists = features.map((name) => {
    const column = columns.get(name);
    if (column?.kind !== "numeric" || column.rows === undefined)
      throw new Error(`${table.path}: column ${name} was read without its row order`);
    return column.rows;
  });
  const rows: (number | null)[][] = [];
  for (let r = 0; r < table.rows; r++)
    rows.push(lists.map((list) => (Number.isNaN(list[r]) ? null : list[r])));
  return rows;
}
