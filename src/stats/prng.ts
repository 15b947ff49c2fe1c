/**
 * The seeded pseudo-random numbers behind every randomised computation (the outlier scorers' models,
 * the bootstrap intervals of model quality), so that a `seed` in the config reproduces a model, and
 * a fixed seed an interval, bit for bit on any machine (Math.random cannot be seeded). Here in
 * stats, the bottom layer, so that every component above may draw from it.
 */

/** A stream of uniform doubles in [0, 1). */
export type Random = () => number;

/**
 * Uniform doubles in [0, 1) from Chris Doty-Humphrey's sfc32 (PractRand's "small fast counting"
 * generator, 128-bit state, passes PractRand and BigCrush), seeded through splitmix32 so that
 * neighbouring seeds give unrelated streams. Each double takes 53 bits from two 32-bit outputs.
 *
 * Edge cases: the seed is taken modulo 2^32 (integers only; the schema of each scorer says so).
 *
 * @example
 * const random = seededRandom(42);
 * random() // 0.4562558052254867, on every run and machine
 */
export function seededRandom(seed: number): Random {
  let mix = seed >>> 0;
  const splitmix32 = (): number => {
    mix = (mix + 0x9e3779b9) | 0;
    let z = mix;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
  let a = splitmix32();
  let b = splitmix32();
  let c = splitmix32();
  let d = 1;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // The first outputs still show the seed's structure; the reference implementation skips 12.
  for (let i = 0; i < 12; i++) next();
  return () => ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
}
