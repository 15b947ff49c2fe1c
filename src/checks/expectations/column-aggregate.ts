import type { ExpectationDefinition } from "../types.js";

export const column_aggregate: readonly ExpectationDefinition[] = [];
