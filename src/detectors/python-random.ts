/**
 * CPython's `random.Random` as far as KSWIN needs it: MT19937 seeded from an integer exactly as
 * `random.Random(seed)` seeds it, `random()`, `getrandbits(k)` for k ≤ 32, `_randbelow` and
 * `sample(range(n), k)`, bit for bit (Matsumoto & Nishimura 1998, "Mersenne Twister", ACM TOMACS 8(1): 3–30; the
 * seeding and sampling follow CPython 3.11's `_randommodule.c` and `random.py`). With the same seed
 * it draws the same indices as River's KSWIN, so detections can be compared one for one.
 */

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/** A generator's state as plain data: the 624 words and the position of the next one. */
export interface MersenneTwisterState {
  readonly mt: readonly number[];
  readonly index: number;
}

/** The 32-bit words CPython feeds `init_by_array` for an integer seed: |seed| in little-endian words. */
function seedKey(seed: number): number[] {
  const a = Math.abs(seed);
  const low = a % 0x100000000;
  const high = Math.floor(a / 0x100000000);
  return high === 0 ? [low] : [low, high];
}

/**
 * CPython's Mersenne Twister (`random.Random`), allocation-free once constructed.
 *
 * @example
 * const rng = MersenneTwister.fromSeed(42);
 * rng.getrandbits(32) // 2746317213, as random.Random(42).getrandbits(32)
 */
export class MersenneTwister {
  private readonly mt = new Uint32Array(N);
  private index = N;

  /** A generator seeded as `random.Random(seed)` with an integer seed (|seed| ≤ 2^53). */
  static fromSeed(seed: number): MersenneTwister {
    const rng = new MersenneTwister();
    rng.seed(seed);
    return rng;
  }

  /** A generator seeded from the platform's entropy, as `random.Random(None)`. */
  static fromEntropy(): MersenneTwister {
    const rng = new MersenneTwister();
    rng.seedWords(Array.from(crypto.getRandomValues(new Uint32Array(N))));
    return rng;
  }

  /** A generator resumed from {@link MersenneTwister.state}. */
  static fromState(state: MersenneTwisterState): MersenneTwister {
    const rng = new MersenneTwister();
    rng.mt.set(state.mt);
    rng.index = state.index;
    return rng;
  }

  /** Reseeds as `random.seed(seed)` does for an integer. */
  seed(seed: number): void {
    this.seedWords(seedKey(seed));
  }

  /** The words and position, copied. */
  get state(): MersenneTwisterState {
    return { mt: Array.from(this.mt), index: this.index };
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = N;
  }

  // init_by_array from the reference implementation, which CPython uses for every integer seed.
  private seedWords(key: readonly number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1664525)) + key[j] + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
    this.index = N;
  }

  /** The next 32-bit output (CPython's `genrand_uint32`). */
  nextUint32(): number {
    return this.nextInt32() >>> 0;
  }

  /**
   * The next output's bits as a signed 32-bit integer, which V8 keeps unboxed (a uint32 above
   * 2^31 returned from a call that is not inlined would be boxed, allocating).
   */
  private nextInt32(): number {
    const mt = this.mt;
    if (this.index >= N) {
      let kk = 0;
      for (; kk < N - M; kk++) {
        const y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      for (; kk < N - 1; kk++) {
        const y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      const y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
      mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      this.index = 0;
    }
    let y = mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y | 0;
  }

  /** `getrandbits(k)` for 1 ≤ k ≤ 32: the top k bits of one output. */
  getrandbits(k: number): number {
    return this.nextInt32() >>> (32 - k);
  }

  /** `random()`: a double in [0, 1) from 53 bits of two outputs (CPython's `genrand_res53`). */
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
  }

  /** `_randbelow_with_getrandbits(n)` for 1 ≤ n < 2^32: rejection sampling on n's bit length. */
  randbelow(n: number): number {
    const k = 32 - Math.clz32(n);
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }
}

/**
 * `random.sample(range(n), k)` into `out[0..k)`, in CPython 3.11's order. Python picks one of two
 * algorithms by the sizes (a partial Fisher–Yates on a pool when n is small against k, rejection
 * against a set of chosen indices otherwise); both are reproduced, using `pool` (length ≥ n) as
 * the pool or as the set, so nothing is allocated.
 */
export function sampleRange(
  rng: MersenneTwister,
  n: number,
  k: number,
  out: Int32Array,
  pool: Int32Array,
  setsize: number,
): void {
  if (n <= setsize) {
    for (let i = 0; i < n; i++) pool[i] = i;
    for (let i = 0; i < k; i++) {
      const j = rng.randbelow(n - i);
      out[i] = pool[j];
      pool[j] = pool[n - i - 1];
    }
  } else {
    pool.fill(0, 0, n);
    for (let i = 0; i < k; i++) {
      let j = rng.randbelow(n);
      while (pool[j] === 1) j = rng.randbelow(n);
      pool[j] = 1;
      out[i] = j;
    }
  }
}

/** The threshold `random.sample` compares n with: 21, plus 4^ceil(log4(3k)) when k > 5. */
export function sampleSetsize(k: number): number {
  let setsize = 21;
  if (k > 5) setsize += 4 ** Math.ceil(Math.log(k * 3) / Math.log(4));
  return setsize;
}
