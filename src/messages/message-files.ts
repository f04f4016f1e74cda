import { DEFAULT_LIMIT } from '../common/pagination/keyset';
import { ListQueryDto } from '../common/pagination/list-query.dto';
import { MessageFileObject } from './message.presenter';

export type MessageFilesPage = { kind: 'no-cursor'; param: 'after' | 'before'; id: string } | { kind: 'page'; files: MessageFileObject[]; hasMore: boolean };

/**
 * A page of a message's files (v1), in memory: a message has at most 10. The files come in the
 * order attached; `desc` (the default) lists the last attached first. `after` and `before` are
 * ids of files of the list; with both, the page lies between them.
 */
export function pageOfFiles(files: MessageFileObject[], query: Pick<ListQueryDto, 'order' | 'after' | 'before' | 'limit'>): MessageFilesPage {
  const ordered = (query.order ?? 'desc') === 'desc' ? [...files].reverse() : files;
  const position = (id: string | undefined) => (id === undefined ? undefined : ordered.findIndex((file) => file.id === id));
  const after = position(query.after);
  if (after !== undefined && after < 0) return { kind: 'no-cursor', param: 'after', id: query.after as string };
  const before = position(query.before);
  if (before !== undefined && before < 0) return { kind: 'no-cursor', param: 'before', id: query.before as string };
  const limit = query.limit ?? DEFAULT_LIMIT;
  const start = after === undefined ? 0 : after + 1;
  const end = before === undefined ? ordered.length : before;
  const window = ordered.slice(start, Math.max(start, end));
  const page = before !== undefined && after === undefined ? window.slice(-limit) : window.slice(0, limit);
  return { kind: 'page', files: page, hasMore: page.length < window.length };
}
