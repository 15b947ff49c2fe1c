import type { ColumnAggregateDefinition, ExpectationDefinition, Kwargs } from "../types.js";
import {
  autoPartition,
  categoricalKl,
  categoricalPartitionOf,
  checkHoldouts,
  continuousKl,
  type Holdouts,
  type KlOutcome,
  type Partition,
  parsePartition,
  sortedNumbers,
} from "./aggregate-partition.js";

/**
 * GE's distributional expectations: the KL divergence of a column from an expected partition.
 * (GE 1.x ships the chi-square, bootstrapped-KS and parameterized-KS expectations only as stubs
 * that raise NotImplementedError, so they are not offered here.)
 */

/** The KL expectation's arguments, read once. */
interface KlConfig {
  /** The expected partition; null builds one from the data (then the divergence is ~0). */
  readonly partition: Partition | null;
  readonly threshold: number | null;
  readonly holdouts: Holdouts;
  readonly bucketize: boolean;
}

/** Reads and cross-checks the KL arguments (GE's `_validate` checks, done once at load). */
function klConfig(kwargs: Kwargs): KlConfig {
  const partition =
    kwargs.partition_object === undefined || kwargs.partition_object === null
      ? null
      : parsePartition(kwargs.partition_object);
  const holdouts = {
    tail: (kwargs.tail_weight_holdout as number | undefined) ?? 0,
    internal: (kwargs.internal_weight_holdout as number | undefined) ?? 0,
  };
  const bucketize = kwargs.bucketize_data !== false;
  if (partition !== null) checkHoldouts(partition, holdouts, bucketize);
  return {
    partition,
    threshold: (kwargs.threshold as number | null | undefined) ?? null,
    holdouts,
    bucketize,
  };
}

/** Divergence of the values from a partition (categorical or continuous). */
function divergence(values: readonly unknown[], partition: Partition, holdouts: Holdouts): KlOutcome {
  return partition.kind === "categorical"
    ? categoricalKl(values, partition, holdouts.tail)
    : continuousKl(sortedNumbers(values), partition, holdouts);
}

const klDivergenceLessThan: ColumnAggregateDefinition = {
  type: "expect_column_kl_divergence_to_be_less_than",
  description:
    "The KL divergence (nats) of the column's distribution from partition_object (categorical values or continuous bins) is at most threshold.",
  domain: "column",
  kind: "aggregate",
  args: {
    partition_object: { kind: "object", nullable: true },
    threshold: { kind: "number", nullable: true, min: 0 },
    internal_weight_holdout: { kind: "number", nullable: true, default: 0, min: 0, max: 1 },
    tail_weight_holdout: { kind: "number", nullable: true, default: 0, min: 0, max: 1 },
    bucketize_data: { kind: "boolean", default: true },
    // GE 1.x declares these on the expectation but never reads them.
    min_value: { kind: "comparable", nullable: true },
    max_value: { kind: "comparable", nullable: true },
  },
  validate: (kwargs) => void klConfig(kwargs),
  compile(kwargs) {
    const { partition, threshold, holdouts, bucketize } = klConfig(kwargs);
    return (values) => {
      const expected =
        partition ?? (bucketize ? autoPartition(sortedNumbers(values)) : categoricalPartitionOf(values));
      const { kl, observed_partition, expected_partition } = divergence(values, expected, holdouts);
      return {
        // GE: an infinite or undefined divergence is reported as null, and fails any threshold.
        success: threshold === null || kl <= threshold,
        observed_value: Number.isFinite(kl) ? kl : null,
        details: { observed_partition, expected_partition },
      };
    };
  },
};

/** Every distributional expectation, by GE name. */
export const distribution: readonly ExpectationDefinition[] = [klDivergenceLessThan];
