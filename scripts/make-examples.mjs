// Writes the bundled example data sets under drift/examples/ from the public Seattle weather
// series shipped by the vega-datasets npm package (NOAA daily observations, 2012-2015): 2012 is
// the reference year and 2015 the current one, a genuine shift (warmer, and the weather labels
// moved from rain to sun and fog).
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
// The package exports only its entry module (build/index.js); the data folder sits beside build/.
const source = join(dirname(require.resolve("vega-datasets")), "..", "data", "seattle-weather.csv");
const [header, ...rows] = readFileSync(source, "utf8").trim().split("\n");
// The demo replays every day as a JSON event (drift/demo/seattle-weather.jsonl).
const names = header.split(",");
const events = rows.map((row) => {
  const fields = row.split(",");
  return JSON.stringify(
    Object.fromEntries(names.map((name, i) => [name, i >= 1 && i <= 4 ? Number(fields[i]) : fields[i]])),
  );
});
writeFileSync(new URL("../drift/demo/seattle-weather.jsonl", import.meta.url), `${events.join("\n")}\n`);
for (const year of ["2012", "2015"]) {
  const lines = rows.filter((row) => row.startsWith(`${year}-`));
  writeFileSync(
    new URL(`../drift/examples/seattle-weather-${year}.csv`, import.meta.url),
    `${[header, ...lines].join("\n")}\n`,
  );
}

// drift/estimation/: a binary classifier's predictions on NannyML's bundled (modified) California
// housing data, from the CBPE fixture (test/fixtures/nannyml/cbpe.json, case binary_calibrated):
// the first 3100 come with their labels (the estimation's reference), the next 3250 without (the
// last 1750 are houses north of latitude 37, a covariate shift); their labels, which came later,
// are in housing-labels-late.jsonl for comparing the estimates with what was realized.
const cbpe = JSON.parse(readFileSync(new URL("../test/fixtures/nannyml/cbpe.json", import.meta.url), "utf8"));
const housing = cbpe.cases.find((c) => c.name === "binary_calibrated");
const predictions = [];
const late = [];
housing.reference.actual.forEach((actual, i) => {
  const row = { id: `r${i}`, predicted: housing.reference.predicted[i], score: housing.reference.score[i] };
  predictions.push(JSON.stringify({ ...row, actual }));
});
housing.analysis.actual.forEach((actual, i) => {
  predictions.push(
    JSON.stringify({
      id: `a${i}`,
      predicted: housing.analysis.predicted[i],
      score: housing.analysis.score[i],
    }),
  );
  late.push(JSON.stringify({ id: `a${i}`, actual }));
});
writeFileSync(
  new URL("../drift/estimation/housing-predictions.jsonl", import.meta.url),
  `${predictions.join("\n")}\n`,
);
writeFileSync(
  new URL("../drift/estimation/housing-labels-late.jsonl", import.meta.url),
  `${late.join("\n")}\n`,
);
