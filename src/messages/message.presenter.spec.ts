import { parsed } from '../common/http/raw-json';
import { MessageRecord } from './message.entity';
import { presentMessage, presentMessageDeleted, presentMessageFiles } from './message.presenter';

const record: MessageRecord = {
  id: 'msg_1',
  threadId: 'thread_1',
  createdAt: 1700000000,
  role: 'user',
  content: [
    { type: 'text', text: { value: 'hi', annotations: [] } },
    { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'auto' } },
    { type: 'image_file', image_file: { file_id: 'file-img', detail: 'auto' } },
  ],
  attachments: [
    { file_id: 'file-a', tools: [{ type: 'file_search' }] },
    { file_id: 'file-b', tools: [] },
  ],
  assistantId: null,
  runId: null,
  status: 'completed',
  incompleteDetails: null,
  completedAt: 1700000000,
  incompleteAt: null,
  metadata: { k: 'v' },
};

describe('presentMessage', () => {
  it('v2: every field, attachments as stored, in the order of the API reference', () => {
    const message = presentMessage(record, 'v2');
    expect(Object.keys(message)).toEqual([
      'id',
      'object',
      'created_at',
      'thread_id',
      'status',
      'incomplete_details',
      'completed_at',
      'incomplete_at',
      'role',
      'content',
      'assistant_id',
      'run_id',
      'attachments',
      'metadata',
    ]);
    expect(message).toMatchObject({
      id: 'msg_1',
      object: 'thread.message',
      created_at: 1700000000,
      thread_id: 'thread_1',
      attachments: record.attachments,
      content: record.content,
    });
  });

  it('v1: file_ids instead of attachments, and no image_url part (v1 cannot express one)', () => {
    const message = presentMessage(record, 'v1') as unknown as Record<string, unknown>;
    expect(message.file_ids).toEqual(['file-a', 'file-b']);
    expect(message).not.toHaveProperty('attachments');
    expect(message.content).toEqual([parsed(record.content)[0], parsed(record.content)[2]]);
  });
});

describe('presentMessageFiles and presentMessageDeleted', () => {
  it("lists a message's attachments as v1 message-file objects", () => {
    expect(presentMessageFiles(record)).toEqual([
      { id: 'file-a', object: 'thread.message.file', created_at: 1700000000, message_id: 'msg_1' },
      { id: 'file-b', object: 'thread.message.file', created_at: 1700000000, message_id: 'msg_1' },
    ]);
  });

  it('says what was deleted', () => {
    expect(presentMessageDeleted('msg_1')).toEqual({ id: 'msg_1', object: 'thread.message.deleted', deleted: true });
  });
});
