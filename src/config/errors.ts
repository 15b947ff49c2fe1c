// The configuration's error types are defined at the bottom (`src/errors.ts`), since components
// that own part of the configuration (suites, scorers) report problems in the same shape.
export { ConfigError, type ConfigProblem } from "../errors.js";
