import type { ExpectationDefinition } from "../types.js";

export const column_map: readonly ExpectationDefinition[] = [];
