import { listEnvelope } from '../common/pagination/list-envelope';
import { RawJson, responseJson } from '../common/http/raw-json';
import { ItemRecord, presentItem, RawItem, toNewItem } from './conversation-item';

/** A row as the list and retrieve statements read it: json columns as their text. */
function readRow(id: string, item: Record<string, unknown> | null, text?: string): ItemRecord {
  return {
    id,
    threadId: 'thread_1',
    createdAt: 1,
    role: item === null ? 'user' : 'item',
    content: new RawJson(JSON.stringify(item === null ? [{ type: 'text', text: { value: 'hi', annotations: [] } }] : [])),
    attachments: new RawJson('[]'),
    assistantId: null,
    runId: null,
    status: 'completed',
    incompleteDetails: null,
    completedAt: 1,
    incompleteAt: null,
    metadata: new RawJson('{}'),
    item: item === null ? null : new RawJson(text ?? JSON.stringify(item)),
  } as ItemRecord;
}

const call = { type: 'function_call', call_id: 'call_1', name: 'lookup', arguments: '{"id":7,"q":"a \\"quoted\\" word"}', status: 'completed' };

describe('presentItem', () => {
  it('answers an item stored whole as read: its id spliced in front of the stored fields, the same JSON as parsing it would give', () => {
    const presented = presentItem(readRow('fc_1', call));
    expect(presented).toBeInstanceOf(RawItem);
    expect(presented.id).toBe('fc_1');
    expect(responseJson(presented)).toBe(JSON.stringify({ id: 'fc_1', ...call }));
    expect(JSON.stringify(presented)).toBe(JSON.stringify({ id: 'fc_1', ...call }));
  });

  it('splices a page of items, messages among them, as JSON.stringify writes the parsed page', () => {
    const rows = [readRow('msg_1', null), readRow('fc_1', call), readRow('fco_1', { type: 'function_call_output', call_id: 'call_1', output: '{}' })];
    const page = listEnvelope(rows.map(presentItem), true);
    const expected = {
      object: 'list',
      data: [
        { id: 'msg_1', type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_text', text: 'hi' }] },
        { id: 'fc_1', ...call },
        { id: 'fco_1', type: 'function_call_output', call_id: 'call_1', output: '{}' },
      ],
      first_id: 'msg_1',
      last_id: 'fco_1',
      has_more: true,
    };
    expect(responseJson(page)).toBe(JSON.stringify(expected));
  });

  it('parses an item whose text is not what this service stores (an id key inside it, leading space): the parsed fields, the row id first', () => {
    const nested = { type: 'mcp_list_tools', server_label: 's', tools: [{ id: 'inner', name: 't' }] };
    const withId = presentItem(readRow('mcpl_1', nested));
    expect(withId).not.toBeInstanceOf(RawItem);
    expect(responseJson(withId)).toBe(JSON.stringify({ id: 'mcpl_1', ...nested }));
    const spaced = presentItem(readRow('fc_2', call, ` ${JSON.stringify(call)}`));
    expect(spaced).not.toBeInstanceOf(RawItem);
    expect(responseJson(spaced)).toBe(JSON.stringify({ id: 'fc_2', ...call }));
  });

  it('stores a new item without an id, so that its text splices', () => {
    const stored = toNewItem({ id: 'client_chosen', ...call });
    expect(stored.item).not.toBeNull();
    expect(JSON.stringify(stored.item)).not.toContain('"id"');
  });
});
