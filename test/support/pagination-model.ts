/**
 * An in-memory model of cursor pagination over one thread's messages, and a seeded PRNG, for the
 * pagination property tests. The model knows only the creation order of the messages.
 */

export type Order = 'asc' | 'desc';

export interface PageQuery {
  /** Omitted: the default, 20. */
  limit?: number;
  /** Omitted: the default, desc. */
  order?: Order;
  after?: string;
  before?: string;
}

export interface ModelPage {
  ids: string[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}

export type ModelAnswer = { ok: true; page: ModelPage } | { ok: false; param: 'after' | 'before' };

export const DEFAULT_LIMIT = 20;

/**
 * The page the API must answer, given the thread's ids in creation order.
 *
 * The list in the requested order is `ordered`. `after` X: the `limit` items right after X.
 * `before` X: the `limit` items right before X (adjacent to X), still in the requested order.
 * Both: the items strictly between X and Y, the first `limit` of them from X on. `has_more`: more
 * items lie beyond the page, further away from the cursor (within the window between cursors).
 * A cursor that is not an id of the thread is rejected, `after` checked first.
 */
export function modelPage(creationOrder: readonly string[], query: PageQuery): ModelAnswer {
  const limit = query.limit ?? DEFAULT_LIMIT;
  const ordered = (query.order ?? 'desc') === 'asc' ? [...creationOrder] : [...creationOrder].reverse();
  const afterIndex = query.after === undefined ? undefined : ordered.indexOf(query.after);
  const beforeIndex = query.before === undefined ? undefined : ordered.indexOf(query.before);
  if (afterIndex === -1) return { ok: false, param: 'after' };
  if (beforeIndex === -1) return { ok: false, param: 'before' };
  const start = afterIndex === undefined ? 0 : afterIndex + 1;
  const end = beforeIndex === undefined ? ordered.length : beforeIndex;
  const window = ordered.slice(start, Math.max(start, end));
  const ids = beforeIndex !== undefined && afterIndex === undefined ? window.slice(Math.max(0, window.length - limit)) : window.slice(0, limit);
  return {
    ok: true,
    page: {
      ids,
      has_more: window.length > ids.length,
      first_id: ids.length > 0 ? ids[0] : null,
      last_id: ids.length > 0 ? ids[ids.length - 1] : null,
    },
  };
}

/** mulberry32: a small, fast, seeded 32-bit PRNG. */
export class Prng {
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

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  bool(probability = 0.5): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(0, items.length - 1)];
  }
}

/** PAGINATION_SEED when set (decimal or 0x hex), else a fresh random seed. */
export function paginationSeed(): number {
  const raw = process.env.PAGINATION_SEED;
  if (raw !== undefined && raw.trim() !== '') {
    const seed = Number(raw.trim());
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`PAGINATION_SEED must be an integer in [0, 2^32), got '${raw}'`);
    return seed;
  }
  return Math.floor(Math.random() * 0x100000000);
}
