/**
 * Which way imports may point (`npm run lint` runs this). Stats and windows sit at the bottom and
 * import nothing above them; components own their config types and schemas, and `config/` only
 * composes them; nothing imports the CLI or the pipeline that wires the components together; and
 * no module may reach itself through its imports. The tree has no known breach: any fails the lint.
 */
const components =
  "^src/(stats|windows|cluster|detectors|outliers|performance|drift|multivariate|online|checks|decode|sources|alerts|metrics|report|state|io)/";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "a cycle makes every module in it depend on every other; break it by moving the shared part down",
      from: {},
      to: { circular: true },
    },
    {
      name: "stats-are-pure",
      severity: "error",
      comment: "src/stats is pure mathematics: it imports only itself and packages",
      from: { path: "^src/stats/" },
      to: { path: "^src/", pathNot: "^src/stats/" },
    },
    {
      name: "windows-sit-on-stats",
      severity: "error",
      comment: "windows and accumulators import only stats, themselves and the error types",
      from: { path: "^src/windows/" },
      to: { path: "^src/", pathNot: "^src/(stats|windows)/|^src/(errors|shape)\\.ts$" },
    },
    {
      name: "config-composes-components",
      severity: "error",
      comment:
        "components own their config types and schemas; config/ imports them to compose the one schema, never the other way",
      from: { path: components },
      to: { path: "^src/config/" },
    },
    {
      name: "nothing-imports-the-top",
      severity: "error",
      comment: "the CLI and the pipeline compose components; no component may import them",
      from: { path: components },
      to: { path: "^src/(cli/|pipeline\\.ts$)" },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      extensions: [".ts", ".js"],
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default"],
    },
  },
};
