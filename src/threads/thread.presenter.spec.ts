import { presentThread, presentThreadDeleted } from './thread.presenter';
import { ThreadRecord } from './threads.repository';

const record: ThreadRecord = { id: 'thread_1', createdAt: 1700000000, metadata: { k: 'v' }, toolResources: { code_interpreter: { file_ids: ['file-1'] } } };

describe('presentThread', () => {
  it('v2: tool_resources before metadata', () => {
    const thread = presentThread(record, 'v2');
    expect(thread).toEqual({ id: 'thread_1', object: 'thread', created_at: 1700000000, tool_resources: record.toolResources, metadata: { k: 'v' } });
    expect(Object.keys(thread)).toEqual(['id', 'object', 'created_at', 'tool_resources', 'metadata']);
  });

  it('v1: no tool_resources', () => {
    expect(presentThread(record, 'v1')).toEqual({ id: 'thread_1', object: 'thread', created_at: 1700000000, metadata: { k: 'v' } });
  });

  it('says what was deleted', () => {
    expect(presentThreadDeleted('thread_1')).toEqual({ id: 'thread_1', object: 'thread.deleted', deleted: true });
  });
});
