import { MessageFileObject } from './message.presenter';
import { pageOfFiles } from './message-files';

const files: MessageFileObject[] = ['f1', 'f2', 'f3', 'f4', 'f5'].map((id) => ({ id, object: 'thread.message.file', created_at: 1, message_id: 'msg_1' }));
const ids = (page: ReturnType<typeof pageOfFiles>) => (page.kind === 'page' ? { ids: page.files.map((f) => f.id), hasMore: page.hasMore } : page);

describe('pageOfFiles (v1 message files, paged in memory)', () => {
  it('lists the last attached first by default, and in attachment order with asc', () => {
    expect(ids(pageOfFiles(files, {}))).toEqual({ ids: ['f5', 'f4', 'f3', 'f2', 'f1'], hasMore: false });
    expect(ids(pageOfFiles(files, { order: 'asc' }))).toEqual({ ids: ['f1', 'f2', 'f3', 'f4', 'f5'], hasMore: false });
  });

  it('pages with limit and after', () => {
    expect(ids(pageOfFiles(files, { order: 'asc', limit: 2 }))).toEqual({ ids: ['f1', 'f2'], hasMore: true });
    expect(ids(pageOfFiles(files, { order: 'asc', limit: 2, after: 'f2' }))).toEqual({ ids: ['f3', 'f4'], hasMore: true });
    expect(ids(pageOfFiles(files, { order: 'asc', limit: 2, after: 'f4' }))).toEqual({ ids: ['f5'], hasMore: false });
  });

  it('takes the page right before a before cursor, and the files between two cursors', () => {
    expect(ids(pageOfFiles(files, { order: 'asc', limit: 2, before: 'f5' }))).toEqual({ ids: ['f3', 'f4'], hasMore: true });
    expect(ids(pageOfFiles(files, { order: 'asc', after: 'f1', before: 'f4' }))).toEqual({ ids: ['f2', 'f3'], hasMore: false });
    expect(ids(pageOfFiles(files, { order: 'asc', after: 'f4', before: 'f2' }))).toEqual({ ids: [], hasMore: false });
  });

  it('names a cursor that is not a file of the message', () => {
    expect(pageOfFiles(files, { after: 'nope' })).toEqual({ kind: 'no-cursor', param: 'after', id: 'nope' });
    expect(pageOfFiles(files, { after: 'f1', before: 'gone' })).toEqual({ kind: 'no-cursor', param: 'before', id: 'gone' });
  });

  it('leaves the files it was given in their order', () => {
    const given = [...files];
    pageOfFiles(given, { order: 'desc' });
    expect(given).toEqual(files);
  });
});
