import { Shape } from '../common/api-version/api-request';
import { ApiError } from '../common/errors/api-error';
import { MessageObjectV1, MessageObjectV2, presentMessage } from './message.presenter';
import { SearchHitRecord } from './messages.repository';

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

/** A hit's id: its rank (as PostgreSQL prints the real) and order key, base64url, so that it is opaque and well formed. */
export function hitCursor(rank: string, seq: number): string {
  return `hit_${Buffer.from(`${rank}:${seq}`).toString('base64url')}`;
}

export function parseHitCursor(id: string): { rank: string; seq: number } {
  const [rank, seq, extra] = Buffer.from(id.slice('hit_'.length), 'base64url').toString('utf8').split(':');
  if (extra !== undefined || !/^(\d+(\.\d+)?(e-?\d+)?|0)$/.test(rank ?? '') || !/^\d{1,18}$/.test(seq ?? '')) {
    throw ApiError.badRequest(`Invalid 'after': '${id}' is not the id of a search hit. Use the last_id of a previous page.`, 'after', 'invalid_cursor');
  }
  return { rank, seq: Number(seq) };
}

export function presentSearchHit(hit: SearchHitRecord, shape: Shape): SearchHitObject {
  return {
    id: hitCursor(hit.rank, hit.seq),
    object: 'thread.message.search_result',
    thread_id: hit.message.threadId,
    rank: Number(hit.rank),
    snippet: hit.snippet,
    message: presentMessage(hit.message, shape),
  };
}
