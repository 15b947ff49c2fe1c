import type { ExpectationDefinition } from "../types.js";

export const distribution: readonly ExpectationDefinition[] = [];
