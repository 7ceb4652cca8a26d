/**
 * The one source of randomness in eadro-ts. Nothing in `src/` uses the unseeded global generator: every stochastic
 * step (simulation, splits, weight init, ADM4 starts, bootstrap, random walks) takes an `Rng` made
 * here from an explicit seed, so the same seed gives the same stream on every machine.
 *
 * Generator: xoshiro128** (Blackman & Vigna), 32-bit state words, seeded through splitmix32 so that
 * nearby seeds give unrelated streams. Substreams (`rng.fork('label')`) hash the label into a new
 * seed, which keeps one component's draws independent of how many draws another component made.
 */

/** A seed: a non-negative integer, or a string that is hashed to one. */
export type Seed = number | string;

/** 32-bit FNV-1a of a string; used to turn labels and string seeds into integers. */
export function hashString32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function seedToInt(seed: Seed): number {
  if (typeof seed === 'string') return hashString32(seed);
  if (!Number.isFinite(seed) || seed < 0 || !Number.isInteger(seed)) {
    throw new Error(`seed: expected a non-negative integer or a string, got ${String(seed)}`);
  }
  // Fold seeds above 2^32 so that large integers still matter.
  return (seed % 0x100000000) ^ Math.floor(seed / 0x100000000);
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Cached second value of the Box-Muller pair. */
  private spareNormal: number | null = null;
  readonly seed: number;

  constructor(seed: Seed) {
    this.seed = seedToInt(seed) >>> 0;
    const st = { s: this.seed };
    this.a = splitmix32(st);
    this.b = splitmix32(st);
    this.c = splitmix32(st);
    this.d = splitmix32(st);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1; // the all-zero state is a fixed point
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n > 0) || !Number.isInteger(n)) throw new Error(`rng.int: n must be a positive integer, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal N(0, 1) by Box-Muller (polar form). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return mean + std * u * f;
  }

  /** Log-normal: exp(N(mu, sigma)); a heavy-ish tail for processing times. */
  logNormal(mu: number, sigma: number): number {
    return Math.exp(this.normal(mu, sigma));
  }

  /** Exponential with the given rate (mean 1/rate). */
  exponential(rate: number): number {
    return -Math.log(1 - this.next()) / rate;
  }

  /** Poisson count with mean lambda (Knuth for small lambda, normal approximation above 60). */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda > 60) return Math.max(0, Math.round(this.normal(lambda, Math.sqrt(lambda))));
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** Pareto (type I) with scale xm and shape alpha: a heavy tail. */
  pareto(xm: number, alpha: number): number {
    return xm / Math.pow(1 - this.next(), 1 / alpha);
  }

  /** One element chosen uniformly. */
  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('rng.choice: empty list');
    return items[this.int(items.length)] as T;
  }

  /** Index drawn with probability proportional to the (non-negative) weights. */
  weightedIndex(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    if (!(total > 0)) throw new Error('rng.weightedIndex: weights must have a positive sum');
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i] as number;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** Fisher-Yates shuffle in place; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** k items drawn uniformly without replacement (partial Fisher-Yates over a copy), in draw order. */
  sample<T>(items: readonly T[], k: number): T[] {
    const pool = [...items];
    const take = Math.min(k, pool.length);
    for (let i = 0; i < take; i++) {
      const j = i + this.int(pool.length - i);
      const tmp = pool[i] as T;
      pool[i] = pool[j] as T;
      pool[j] = tmp;
    }
    return pool.slice(0, take);
  }

  /** An independent substream named by a label: same parent seed and label, same stream. */
  fork(label: string | number): Rng {
    return new Rng(hashString32(`${this.seed}/${label}`));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Make the generator for a seed. */
export function createRng(seed: Seed): Rng {
  return new Rng(seed);
}
