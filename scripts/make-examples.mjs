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

// drift/embeddings/: text embeddings of the movies vega-datasets ships (title, distributor, genre,
// creative type, source, rating), made without a model: each word hashed into 1024 signed buckets
// (the hashing trick), projected to 32 dimensions by a fixed Gaussian matrix and scaled to unit
// length. The movies are shuffled (seeded); the reference is 1200 of them; the stream is 400 more
// of the same mix, then 400 of only action, adventure, horror and thriller films: a shift of the
// text's topic that no single dimension is asked about.
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function fnv1a(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
const BUCKETS = 1024;
const DIM = 32;
const projectionRandom = mulberry32(2024);
const gaussian = () => {
  const u = 1 - projectionRandom();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * projectionRandom());
};
const projection = Array.from({ length: BUCKETS }, () => Array.from({ length: DIM }, gaussian));
function embed(text) {
  const out = new Array(DIM).fill(0);
  for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    const h = fnv1a(word);
    const sign = h & 1 ? 1 : -1;
    const row = projection[(h >>> 1) % BUCKETS];
    for (let j = 0; j < DIM; j++) out[j] += sign * row[j];
  }
  const norm = Math.hypot(...out) || 1;
  return out.map((x) => Number((x / norm).toFixed(4)));
}
const movies = JSON.parse(readFileSync(join(dirname(source), "movies.json"), "utf8")).filter(
  (m) => m["Major Genre"] !== null && m.Title !== null,
);
const shuffleRandom = mulberry32(7);
for (let i = movies.length - 1; i > 0; i--) {
  const j = Math.floor(shuffleRandom() * (i + 1));
  [movies[i], movies[j]] = [movies[j], movies[i]];
}
const movieEvent = (m, i) =>
  JSON.stringify({
    id: `m${i}`,
    title: String(m.Title),
    genre: m["Major Genre"],
    embedding: embed(
      [m.Title, m.Distributor, m["Major Genre"], m["Creative Type"], m.Source, m["MPAA Rating"]]
        .filter((x) => x !== null && x !== undefined)
        .join(" "),
    ),
  });
const shifted = new Set(["Action", "Adventure", "Horror", "Thriller/Suspense"]);
const reference = movies.slice(0, 1200);
const same = movies.slice(1200, 1600);
const topical = movies
  .slice(1600)
  .filter((m) => shifted.has(m["Major Genre"]))
  .slice(0, 400);
writeFileSync(
  new URL("../drift/embeddings/reference.jsonl", import.meta.url),
  `${reference.map(movieEvent).join("\n")}\n`,
);
writeFileSync(
  new URL("../drift/embeddings/stream.jsonl", import.meta.url),
  `${[...same, ...topical].map((m, i) => movieEvent(m, 1200 + i)).join("\n")}\n`,
);

// drift/online/: Seattle's daily wind in an exchangeable order (the 1461 days shuffled, seeded, so
// that neighbouring days are not alike), the first 500 as the reference; the stream is the other
// 961, and from its 601st day on the readings are 25 % higher, as if the anemometer had been
// replaced by one that reads high.
const windRandom = mulberry32(11);
const days = rows.map((row) => {
  const fields = row.split(",");
  return { date: fields[0], wind: Number(fields[4]) };
});
for (let i = days.length - 1; i > 0; i--) {
  const j = Math.floor(windRandom() * (i + 1));
  [days[i], days[j]] = [days[j], days[i]];
}
writeFileSync(
  new URL("../drift/online/wind-reference.csv", import.meta.url),
  `day,wind\n${days
    .slice(0, 500)
    .map((d) => `${d.date},${d.wind}`)
    .join("\n")}\n`,
);
writeFileSync(
  new URL("../drift/online/wind-stream.jsonl", import.meta.url),
  `${days
    .slice(500)
    .map((d, i) =>
      JSON.stringify({ seq: i, day: d.date, wind: i >= 600 ? Number((d.wind * 1.25).toFixed(2)) : d.wind }),
    )
    .join("\n")}\n`,
);

// drift/thresholds/: 11 000 of vega-datasets' 20 000 US flights of 2001 in an exchangeable order
// (shuffled, seeded), the first 3000 as the reference; the stream is the next 8000, and from its
// 5001st flight on every delay is 3 minutes longer, as if a schedule had started to run late.
const flightsRandom = mulberry32(16);
const flightRows = JSON.parse(
  readFileSync(join(dirname(require.resolve("vega-datasets")), "..", "data", "flights-20k.json"), "utf8"),
).map((f) => ({ delay: f.delay, distance: f.distance, origin: f.origin }));
for (let i = flightRows.length - 1; i > 0; i--) {
  const j = Math.floor(flightsRandom() * (i + 1));
  [flightRows[i], flightRows[j]] = [flightRows[j], flightRows[i]];
}
writeFileSync(
  new URL("../drift/thresholds/reference.csv", import.meta.url),
  `delay,distance,origin\n${flightRows
    .slice(0, 3000)
    .map((f) => `${f.delay},${f.distance},${f.origin}`)
    .join("\n")}\n`,
);
writeFileSync(
  new URL("../drift/thresholds/flights.jsonl", import.meta.url),
  `${flightRows
    .slice(3000, 11000)
    .map((f, i) => JSON.stringify({ seq: i, ...f, delay: i >= 5000 ? f.delay + 3 : f.delay }))
    .join("\n")}\n`,
);
