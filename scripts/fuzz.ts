/**
 * `npm run fuzz`: the reliability fuzz at any size. FUZZ_EVENTS (default 1 000 000) hostile
 * events from FUZZ_SEED (default the time) through the daemon's file and HTTP sources; prints
 * the counts per reason and fails unless every event was counted as valid or dead-lettered.
 */
import { killAllDaemons } from "../test/support/daemon.js";
import { assertAccounted, fuzzEvents, fuzzFileSource, fuzzHttpSource } from "../test/support/fuzz.js";

const events = Number(process.env.FUZZ_EVENTS ?? 1_000_000);
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
process.stdout.write(`fuzz: ${events} events per source, seed ${seed}\n`);
try {
  for (const [name, run] of [
    ["file", () => fuzzFileSource(fuzzEvents(events, seed), 3_600_000)],
    ["http", () => fuzzHttpSource(fuzzEvents(events, seed + 1), seed, 3_600_000)],
  ] as const) {
    const started = Date.now();
    const outcome = await run();
    assertAccounted(outcome);
    process.stdout.write(
      `fuzz ${name}: sent ${outcome.sent} = valid ${outcome.valid} + dead-lettered ${outcome.invalid} in ${((Date.now() - started) / 1000).toFixed(1)} s; ${JSON.stringify(outcome.reasons)}\n`,
    );
  }
} catch (error) {
  process.stderr.write(`fuzz: seed ${seed}: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await killAllDaemons();
}
