import type { ExpectationDefinition } from "../types.js";

export const multicolumn: readonly ExpectationDefinition[] = [];
