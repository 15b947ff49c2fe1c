import { column_aggregate } from "./expectations/column-aggregate.js";
import { column_map } from "./expectations/column-map.js";
import { distribution } from "./expectations/distribution.js";
import { multicolumn } from "./expectations/multicolumn.js";
import { stream } from "./expectations/stream.js";
import { table } from "./expectations/table.js";
import type { ExpectationDefinition } from "./types.js";

/**
 * Every expectation driftwatch knows, by GE name: a plain map picked by the names suites use, as
 * the statistics registry is. `driftwatch list` prints it.
 */
export const definitions: ReadonlyMap<string, ExpectationDefinition> = new Map(
  [...column_map, ...column_aggregate, ...distribution, ...multicolumn, ...table, ...stream].map((d) => [
    d.type,
    d,
  ]),
);
