/**
 * An in-memory model of cursor pagination over one thread's messages, for the
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
