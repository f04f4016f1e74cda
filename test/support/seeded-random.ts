import { randomInt } from 'node:crypto';

/** mulberry32: a small, fast, seeded 32-bit PRNG, the same everywhere, so that a failing run can be replayed. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)];
  }

  weighted<T extends string>(weights: Record<T, number>): T {
    const entries = Object.entries(weights) as [T, number][];
    let r = this.next() * entries.reduce((sum, [, w]) => sum + w, 0);
    for (const [value, weight] of entries) {
      r -= weight;
      if (r < 0) return value;
    }
    return entries[entries.length - 1][0];
  }

  alnum(length: number): string {
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[this.int(alphabet.length)];
    return out;
  }
}

/** The seed named by an environment variable (decimal or 0x hex), else a fresh random one. */
export function seedFrom(variable: string, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[variable]?.trim();
  if (raw) {
    const seed = Number(raw);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`${variable} must be an integer from 0 to 4294967295, got '${raw}'`);
    return seed;
  }
  return randomInt(0, 0xffffffff);
}

/**
 * The seeds a randomised test runs: the ones named by the variable when it is set (a replay, or a
 * comma-separated sweep), else
 * the fixed list (every seed that ever found a bug stays in it) plus one fresh seed, printed.
 */
export function seedsFor(variable: string, fixed: readonly number[], env: NodeJS.ProcessEnv = process.env): number[] {
  const named = env[variable]?.split(',').filter((seed) => seed.trim());
  if (named?.length) return named.map((seed) => seedFrom(variable, { [variable]: seed }));
  return [...fixed, seedFrom(variable, {})];
}

/** The command that replays one seed of a test file. */
export const replayCommand = (variable: string, seed: number, file: string): string => `${variable}=${seed} npx jest ${file}`;
