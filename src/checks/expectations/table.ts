import type { ExpectationDefinition } from "../types.js";

export const table: readonly ExpectationDefinition[] = [];
