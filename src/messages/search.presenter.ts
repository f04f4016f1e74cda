import { Shape } from '../common/api-version/api-request';
import { ApiError } from '../common/errors/api-error';
import { MessageObjectV1, MessageObjectV2, presentMessage } from './message.presenter';
import { HitPosition, SearchHitRecord } from './tenant-search';

/** A hit of GET /messages/search: the message in the request's shape, its thread, rank and highlighted snippet. */
export interface SearchHitObject {
  /** The hit's cursor: `after` takes it for the next page. */
  id: string;
  object: 'thread.message.search_result';
  thread_id: string;
  rank: number;
  /** The text around the matches, each match within <mark></mark> (the text is not HTML-escaped). */
  snippet: string;
  message: MessageObjectV1 | MessageObjectV2;
}

/**
 * A hit's id: where it stands (rank as PostgreSQL prints the real, order key, and its window's
 * bounds, the newest empty when unbounded), base64url, so that it is opaque and well formed.
 */
export function hitCursor(position: HitPosition): string {
  const { rank, seq, oldest, newest } = position;
  return `hit_${Buffer.from(`${rank}:${seq}:${oldest}:${newest ?? ''}`).toString('base64url')}`;
}

const RANK = /^(\d+(\.\d+)?(e-?\d+)?|0)$/;
const KEY = /^\d{1,18}$/;

/** Whether PostgreSQL's `real` can hold the rank (as strtof reads it: nothing that overflows, nor underflows to zero). */
function isReal(rank: string): boolean {
  const single = Math.fround(Number(rank));
  // Zero only when written as zero: a tiny rank that underflows is out of range, as PostgreSQL says.
  return Number.isFinite(single) && (single !== 0 || !/[1-9]/.test(rank.split('e')[0]));
}

export function parseHitCursor(id: string): HitPosition {
  const [rank, seq, oldest, newest, extra] = Buffer.from(id.slice('hit_'.length), 'base64url').toString('utf8').split(':');
  const position = { rank, seq: Number(seq), oldest: Number(oldest), newest: newest ? Number(newest) : null };
  const formed =
    extra === undefined && RANK.test(rank ?? '') && isReal(rank) && KEY.test(seq ?? '') && KEY.test(oldest ?? '') && (newest === '' || KEY.test(newest ?? ''));
  if (!formed || position.oldest > position.seq || (position.newest !== null && position.newest <= position.seq)) {
    throw ApiError.badRequest(`Invalid 'after': '${id}' is not the id of a search hit. Use the last_id of a previous page.`, 'after', 'invalid_cursor');
  }
  return position;
}

export function presentSearchHit(hit: SearchHitRecord, shape: Shape): SearchHitObject {
  return {
    id: hitCursor(hit.position),
    object: 'thread.message.search_result',
    thread_id: hit.message.threadId,
    rank: Number(hit.position.rank),
    snippet: hit.snippet,
    message: presentMessage(hit.message, shape),
  };
}
