import {
  ALL_FLAVORS,
  AZURE_V1,
  AZURE_V2,
  Client,
  expectInvalid,
  expectMessage,
  expectStatus,
  Flavor,
  Json,
  metadataOf,
  OPENAI_V1,
  OPENAI_V2,
  textPart,
  V1_FLAVORS,
  V2_FLAVORS,
} from './support/message-fixtures';
import { snapshot, startTestApp, TestApp } from './support/test-app';

type Case = [name: string, body: Json, param: string];
interface NamedCase {
  name: string;
  body: Json;
  param: string;
}
const named = (cases: Case[]): NamedCase[] => cases.map(([name, body, param]) => ({ name, body, param }));

const image = (image_url: Json) => ({ type: 'image_url', image_url });
const imageFile = (image_file: Json) => ({ type: 'image_file', image_file });
const attachment = (file_id = 'file-1', tools: Json[] = [{ type: 'file_search' }]) => ({ file_id, tools });
const user = (content: unknown, extra: Json = {}): Json => ({ role: 'user', content, ...extra });

/** Rejected in both shapes. */
const COMMON_CASES: Case[] = [
  ['role missing', { content: 'hi' }, 'role'],
  ['role system', { role: 'system', content: 'hi' }, 'role'],
  ['role tool', { role: 'tool', content: 'hi' }, 'role'],
  ['role not a string', { role: 1, content: 'hi' }, 'role'],
  ['role null', { role: null, content: 'hi' }, 'role'],
  ['content missing', { role: 'user' }, 'content'],
  ['content null', user(null), 'content'],
  ['content empty string', user(''), 'content'],
  ['content of 256,001 characters', user('x'.repeat(256_001)), 'content'],
  ['content a number', user(42), 'content'],
  ['content a boolean', user(true), 'content'],
  ['content an object', user({ type: 'text', text: 'hi' }), 'content'],
  ['unknown top-level field', user('hi', { foo: 'bar' }), 'foo'],
  ['assistant_id is not a create parameter', user('hi', { assistant_id: 'asst_abc' }), 'assistant_id'],
  ['metadata with 17 keys', user('hi', { metadata: metadataOf(17) }), 'metadata'],
  ['metadata with a 65-character key', user('hi', { metadata: { ['k'.repeat(65)]: 'v' } }), 'metadata'],
  ['metadata with a 513-character value', user('hi', { metadata: { k: 'v'.repeat(513) } }), 'metadata'],
  ['metadata with a number value', user('hi', { metadata: { k: 1 } }), 'metadata'],
  ['metadata with an object value', user('hi', { metadata: { k: { nested: 'x' } } }), 'metadata'],
  ['metadata a string', user('hi', { metadata: 'k=v' }), 'metadata'],
  ['metadata an array', user('hi', { metadata: ['k'] }), 'metadata'],
];

const V2_CASES: Case[] = [
  ['content an empty array', user([]), 'content'],
  ['content part of unknown type', user([{ type: 'audio', audio: { data: 'x' } }]), 'content'],
  ['content part without type', user([{ text: 'hi' }]), 'content'],
  ['content part that is a string', user(['hi']), 'content'],
  ['text part missing text', user([{ type: 'text' }]), 'content'],
  ['text part with an empty text', user([{ type: 'text', text: '' }]), 'content'],
  ['text part with text as an object', user([{ type: 'text', text: { value: 'hi' } }]), 'content'],
  ['text part of 256,001 characters', user([{ type: 'text', text: 'x'.repeat(256_001) }]), 'content'],
  ['text part with an unknown field', user([{ type: 'text', text: 'hi', extra: 1 }]), 'content'],
  ['image_url part missing image_url', user([{ type: 'image_url' }]), 'content'],
  ['image_url part missing url', user([image({ detail: 'low' })]), 'content'],
  ['image_url that is not a URL', user([image({ url: 'not a url' })]), 'content'],
  ['image_url with an ftp URL', user([image({ url: 'ftp://example.com/cat.png' })]), 'content'],
  ['image_url with a javascript: URL', user([image({ url: 'javascript:alert(1)' })]), 'content'],
  ['image_url detail medium', user([image({ url: 'https://example.com/cat.png', detail: 'medium' })]), 'content'],
  ['image_url with an unknown field', user([image({ url: 'https://example.com/cat.png', size: 'big' })]), 'content'],
  ['image_file part missing image_file', user([{ type: 'image_file' }]), 'content'],
  ['image_file part missing file_id', user([imageFile({ detail: 'auto' })]), 'content'],
  ['image_file with file_id a number', user([imageFile({ file_id: 7 })]), 'content'],
  ['image_file detail ultra', user([imageFile({ file_id: 'file-img', detail: 'ultra' })]), 'content'],
  ['image_file with an unknown field', user([imageFile({ file_id: 'file-img', url: 'https://example.com/a.png' })]), 'content'],
  ['a bad part after good ones', user([{ type: 'text', text: 'ok' }, image({ url: 'https://example.com/a.png' }), { type: 'text' }]), 'content'],
  ['attachments a string', user('hi', { attachments: 'file-1' }), 'attachments'],
  ['attachments an object', user('hi', { attachments: attachment() }), 'attachments'],
  ['attachment that is a string', user('hi', { attachments: ['file-1'] }), 'attachments'],
  ['attachment missing file_id', user('hi', { attachments: [{ tools: [{ type: 'file_search' }] }] }), 'attachments'],
  ['attachment with an empty file_id', user('hi', { attachments: [attachment('')] }), 'attachments'],
  ['attachment missing tools', user('hi', { attachments: [{ file_id: 'file-1' }] }), 'attachments'],
  ['attachment tools not an array', user('hi', { attachments: [{ file_id: 'file-1', tools: 'file_search' }] }), 'attachments'],
  ['attachment tool type retrieval (v1 only)', user('hi', { attachments: [attachment('file-1', [{ type: 'retrieval' }])] }), 'attachments'],
  ['attachment tool type function', user('hi', { attachments: [attachment('file-1', [{ type: 'function' }])] }), 'attachments'],
  ['attachment tool without type', user('hi', { attachments: [attachment('file-1', [{}])] }), 'attachments'],
  ['attachment with an unknown field', user('hi', { attachments: [{ ...attachment(), purpose: 'x' }] }), 'attachments'],
  ['11 attachments', user('hi', { attachments: Array.from({ length: 11 }, (_, i) => attachment(`file-${i}`)) }), 'attachments'],
  ['file_ids (v1 only)', user('hi', { file_ids: ['file-1'] }), 'file_ids'],
  ['file_ids empty (v1 only)', user('hi', { file_ids: [] }), 'file_ids'],
  // The one id rule: 1 to 128 printable ASCII characters.
  ['attachment file_id holding a NUL', user('hi', { attachments: [attachment(), attachment('a\u0000b')] }), 'attachments[1].file_id'],
  ['attachment file_id holding a space', user('hi', { attachments: [attachment('file 1')] }), 'attachments[0].file_id'],
  ['attachment file_id holding an accent', user('hi', { attachments: [attachment('fïle-1')] }), 'attachments[0].file_id'],
  ['image_file file_id holding a NUL', user([imageFile({ file_id: 'a\u0000b' })]), 'content[0].image_file.file_id'],
];

const V1_CASES: Case[] = [
  ['content as an array of parts', user([{ type: 'text', text: 'hi' }]), 'content'],
  ['content an empty array', user([]), 'content'],
  ['attachments (v2 only)', user('hi', { attachments: [attachment()] }), 'attachments'],
  ['attachments empty (v2 only)', user('hi', { attachments: [] }), 'attachments'],
  ['11 file_ids', user('hi', { file_ids: Array.from({ length: 11 }, (_, i) => `file-${i}`) }), 'file_ids'],
  ['file_ids a string', user('hi', { file_ids: 'file-1' }), 'file_ids'],
  ['file_ids holding a number', user('hi', { file_ids: [1] }), 'file_ids'],
  ['file_ids holding an empty string', user('hi', { file_ids: [''] }), 'file_ids'],
  ['file_ids holding a NUL', user('hi', { file_ids: ['file-1', 'a\u0000b'] }), 'file_ids[1]'],
  ['file_ids holding a newline', user('hi', { file_ids: ['file\n1'] }), 'file_ids[0]'],
  // Both v1 specs (OpenAI assistants-v1 edition, Azure 2024-02-15-preview) say file_ids has minItems 1.
  ['file_ids empty (minItems 1 in the v1 specs)', user('hi', { file_ids: [] }), 'file_ids'],
];

const MODIFY_CASES: Case[] = [
  ['an unknown field', { foo: 'bar' }, 'foo'],
  ['an unknown field beside valid metadata', { metadata: { a: 'b' }, foo: 'bar' }, 'foo'],
  ['content (not modifiable)', { content: 'changed' }, 'content'],
  ['role (not modifiable)', { role: 'assistant' }, 'role'],
  ['metadata with 17 keys', { metadata: metadataOf(17) }, 'metadata'],
  ['metadata with a 65-character key', { metadata: { ['k'.repeat(65)]: 'v' } }, 'metadata'],
  ['metadata with a 513-character value', { metadata: { k: 'v'.repeat(513) } }, 'metadata'],
  ['metadata with a non-string value', { metadata: { k: 1 } }, 'metadata'],
  ['metadata with a null value', { metadata: { k: null } }, 'metadata'],
  ['metadata a string', { metadata: 'k=v' }, 'metadata'],
];

describe('message validation (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  /** A thread with one message, created once per flavor. */
  const fixtures = new Map<string, { threadId: string; message: Json }>();
  const fixture = async (c: Client) => {
    let found = fixtures.get(c.flavor.label);
    if (!found) {
      const threadId = await c.newThreadId();
      const message = await c.say(threadId, 'original', { metadata: { original: 'yes' } });
      found = { threadId, message };
      fixtures.set(c.flavor.label, found);
    }
    return found;
  };

  async function expectRejectedCreate(flavor: Flavor, body: Json, param: string) {
    const c = new Client(t, flavor);
    const { threadId } = await fixture(c);
    const before = await snapshot(t.db);
    expectInvalid(await c.post(`/threads/${threadId}/messages`, body), param);
    expect(await snapshot(t.db)).toBe(before);
  }

  describe.each(V2_FLAVORS)('$label: create rejects', (flavor: Flavor) => {
    it.each(named([...COMMON_CASES, ...V2_CASES]))('$name: 400 naming $param, nothing stored', async ({ body, param }) => {
      await expectRejectedCreate(flavor, body, param);
    });
  });

  describe.each(V1_FLAVORS)('$label: create rejects', (flavor: Flavor) => {
    it.each(named([...COMMON_CASES, ...V1_CASES]))('$name: 400 naming $param, nothing stored', async ({ body, param }) => {
      await expectRejectedCreate(flavor, body, param);
    });
  });

  describe.each(V2_FLAVORS)('$label: create accepts the limits', (flavor: Flavor) => {
    const client = () => new Client(t, flavor);

    it('content of exactly 256,000 characters, as a string and as a text part', async () => {
      const c = client();
      const { threadId } = await fixture(c);
      const long = 'y'.repeat(256_000);
      const asString = await c.createMessage(threadId, user(long));
      expectMessage('v2', asString, { threadId, content: [textPart(long)] });
      const asPart = await c.createMessage(threadId, user([{ type: 'text', text: long }]));
      expectMessage('v2', asPart, { threadId, content: [textPart(long)] });
    });

    it('10 attachments, tools of both kinds or none, and image detail low/high/auto', async () => {
      const c = client();
      const { threadId } = await fixture(c);
      const attachments = Array.from({ length: 10 }, (_, i) => attachment(`file-${i}`, i % 2 ? [{ type: 'code_interpreter' }] : []));
      const content = ['auto', 'low', 'high'].map((detail) => image({ url: `https://example.com/${detail}.png`, detail }));
      const message = await c.createMessage(threadId, user(content, { attachments }));
      expectMessage('v2', message, { threadId, attachments, content });
    });

    it('metadata of 16 keys of 64 characters with values of 512 characters', async () => {
      const c = client();
      const { threadId } = await fixture(c);
      const metadata = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`${i}`.padStart(64, 'k'), 'v'.repeat(512)]));
      const message = await c.createMessage(threadId, user('hi', { metadata }));
      expectMessage('v2', message, { threadId, content: [textPart('hi')], metadata });
    });

    it('limits count characters, not UTF-16 units: an emoji is one', async () => {
      const c = client();
      const { threadId } = await fixture(c);
      const metadata = { ['😀'.repeat(64)]: '😀'.repeat(512) };
      const long = '😀'.repeat(128_000) + 'y'.repeat(128_000);
      const message = await c.createMessage(threadId, user([{ type: 'text', text: long }], { metadata }));
      expectMessage('v2', message, { threadId, content: [textPart(long)], metadata });
      const tooLongKey = await c.post(`/threads/${threadId}/messages`, user('hi', { metadata: { ['😀'.repeat(65)]: 'v' } }));
      expect(tooLongKey.status).toBe(400);
      expect(tooLongKey.body.error.message).toMatch(/but got a key with 65 characters instead/);
      const tooLongValue = await c.post(`/threads/${threadId}/messages`, user('hi', { metadata: { k: '😀'.repeat(513) } }));
      expect(tooLongValue.status).toBe(400);
      expect(tooLongValue.body.error.message).toMatch(/but got a string with length 513 instead/);
    });
  });

  describe.each(V1_FLAVORS)('$label: create accepts the limits', (flavor: Flavor) => {
    // Every v1 version takes content of up to 256,000 characters, as the OpenAI v1 edition does.
    const max = 256_000;
    it(`10 file_ids and ${max} characters`, async () => {
      const c = new Client(t, flavor);
      const { threadId } = await fixture(c);
      const fileIds = Array.from({ length: 10 }, (_, i) => `file-${i}`);
      const long = 'z'.repeat(max);
      const message = await c.createMessage(threadId, user(long, { file_ids: fileIds }));
      expectMessage('v1', message, { threadId, content: [textPart(long)], fileIds });
    });
  });

  describe('a value of the wrong JSON type is reported as a type error', () => {
    const cases: [label: string, flavor: Flavor, body: Json, param: string][] = [
      ['content a number', OPENAI_V2, user(42), 'content'],
      ['content an object', AZURE_V2, user({ text: 'hi' }), 'content'],
      ['metadata a string', OPENAI_V2, user('hi', { metadata: 'k=v' }), 'metadata'],
      ['attachments a string', OPENAI_V2, user('hi', { attachments: 'file-1' }), 'attachments'],
      ['attachments an object', AZURE_V2, user('hi', { attachments: attachment() }), 'attachments'],
      ['attachment tools a string', OPENAI_V2, user('hi', { attachments: [{ file_id: 'f', tools: 'file_search' }] }), 'attachments[0].tools'],
      ['v1 file_ids a string', OPENAI_V1, user('hi', { file_ids: 'file-1' }), 'file_ids'],
      ['v1 file_ids holding a number', AZURE_V1, user('hi', { file_ids: [1] }), 'file_ids'],
    ];
    it.each(cases.map(([label, flavor, body, param]) => ({ label, flavor, body, param })))(
      '$label: 400 "Invalid type for \'$param\'..."',
      async ({ flavor, body, param }) => {
        const c = new Client(t, flavor);
        const { threadId } = await fixture(c);
        const res = await c.post(`/threads/${threadId}/messages`, body);
        expectInvalid(res, param.replace(/[.[].*$/, ''));
        const message = (res.body as { error: { message: string } }).error.message;
        expect(message).toMatch(/^Invalid type for '/);
        expect(message.startsWith(`Invalid type for '${param}`)).toBe(true);
        expect(message).not.toMatch(/too long|no more than|shorter than/);
      },
    );
  });

  describe('a content-part error keeps its own message', () => {
    it.each([
      { label: 'text part missing text', content: [{ type: 'text' }], message: "Missing required parameter: 'content[0].text'." },
      { label: 'unknown field in a part', content: [{ type: 'text', text: 'hi', extra: 1 }], message: "Unknown parameter: 'content[0].extra'." },
    ])('$label: "$message", not wrapped in another sentence', async ({ content, message }) => {
      const c = new Client(t, OPENAI_V2);
      const { threadId } = await fixture(c);
      const res = await c.post(`/threads/${threadId}/messages`, user(content));
      expectInvalid(res, 'content');
      expect((res.body as { error: { message: string } }).error.message).toBe(message);
    });
  });

  describe.each(ALL_FLAVORS)('$label: modify rejects', (flavor: Flavor) => {
    it.each(named(MODIFY_CASES))('$name: 400 naming $param, message unchanged', async ({ body, param }) => {
      const c = new Client(t, flavor);
      const { threadId, message } = await fixture(c);
      const path = `/threads/${threadId}/messages/${message.id as string}`;
      const before = await snapshot(t.db);
      expectInvalid(await c.post(path, body), param);
      expect(await snapshot(t.db)).toBe(before);
      const retrieved = await c.get(path);
      expectStatus(retrieved, 200);
      expect(retrieved.body).toEqual(message);
    });
  });

  describe.each(ALL_FLAVORS)('$label: body that is not an object', (flavor: Flavor) => {
    it('an array body is a 400 and stores nothing', async () => {
      const c = new Client(t, flavor);
      const { threadId } = await fixture(c);
      const before = await snapshot(t.db);
      const res = await c.post(`/threads/${threadId}/messages`, [{ role: 'user', content: 'hi' }]);
      expectStatus(res, 400);
      expect((res.body as { error: Json }).error.type).toBe('invalid_request_error');
      expect(await snapshot(t.db)).toBe(before);
    });
  });
});
