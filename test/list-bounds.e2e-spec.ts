import { bearer, KEY_A, snapshot, startTestApp, TestApp } from './support/test-app';

/**
 * README, Limits and abuse: a page of 100 messages at the content limits is at most 160 MB of JSON
 * (256,000 characters a message, 6 bytes for a character JSON escapes as \uXXXX), about 27 MB of
 * plain text, about 52 MB of text JSON escapes with a backslash.
 */
const DOCUMENTED_PAGE_BYTES = 160 * 1000 * 1000;
const DOCUMENTED_BACKSLASHED_PAGE_BYTES = 55 * 1000 * 1000;

describe('Bounds: what one message and one list page can hold', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses a message of 300,000 parts, storing nothing', async () => {
    const thread = await t.http.post('/v1/threads').set(bearer(KEY_A)).send({}).expect(200);
    const before = await snapshot(t.db);
    const content = Array.from({ length: 300_000 }, () => ({ type: 'text', text: 'x' }));
    const response = await t.http.post(`/v1/threads/${thread.body.id}/messages`).set(bearer(KEY_A)).send({ role: 'user', content }).expect(400);
    expect(response.body.error).toMatchObject({ param: 'content', code: 'invalid_value' });
    expect(await snapshot(t.db)).toBe(before);
  });

  it('lists 100 messages at the limits (100 parts, 256,000 characters each) within the documented size', async () => {
    const thread = await t.http.post('/v1/threads').set(bearer(KEY_A)).send({}).expect(200);
    // Characters JSON escapes (a quote, a backslash) are the costliest to send back.
    const part = { type: 'text', text: '"\\'.repeat(1_280) };
    const content = Array.from({ length: 100 }, () => part);
    for (let i = 0; i < 100; i++) {
      await t.http.post(`/v1/threads/${thread.body.id}/messages`).set(bearer(KEY_A)).send({ role: 'user', content }).expect(200);
    }
    const page = await t.http.get(`/v1/threads/${thread.body.id}/messages?limit=100`).set(bearer(KEY_A)).buffer(true).expect(200);
    expect(page.body.data).toHaveLength(100);
    expect(page.body.data[0].content).toHaveLength(100);
    expect(Buffer.byteLength(page.text)).toBeLessThan(DOCUMENTED_BACKSLASHED_PAGE_BYTES);
    expect(DOCUMENTED_BACKSLASHED_PAGE_BYTES).toBeLessThan(DOCUMENTED_PAGE_BYTES);
  });
});
