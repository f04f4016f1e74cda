import { SortOrder } from './list-query.dto';

export const DEFAULT_LIMIT = 20;

/**
 * A page request over a total order key (ascending `seq`): which bounds apply, which way the
 * index is walked, and whether the rows must be reversed to come out in the requested order.
 *
 * `after` X: the items right after X in the requested order. `before` X: the items right before X
 * (the page adjacent to X), still listed in the requested order.
 */
export interface KeysetPlan {
  /** Walk the index in ascending key order. */
  ascending: boolean;
  /** Reverse the fetched rows before answering. */
  reverse: boolean;
  limit: number;
}

export function planKeyset(order: SortOrder, cursor: 'after' | 'before' | 'none', limit: number): KeysetPlan {
  const forward = order === 'asc';
  const walkForward = cursor === 'before' ? !forward : forward;
  return { ascending: walkForward, reverse: cursor === 'before', limit };
}

/** `limit + 1` rows were fetched: the extra one only says that more lie beyond the page. */
export function takePage<T>(rows: T[], plan: KeysetPlan): { items: T[]; hasMore: boolean } {
  const hasMore = rows.length > plan.limit;
  const items = hasMore ? rows.slice(0, plan.limit) : rows;
  if (plan.reverse) items.reverse();
  return { items, hasMore };
}
