import type { Response } from 'supertest';
import { expectErrorEnvelope } from './support/envelope';
import { RANK_WINDOW } from '../src/messages/tenant-search';
import { bearer, KEY_A, KEY_B, snapshot, startTestApp, TestApp } from './support/test-app';

/**
 * Full-text search, our extension: within a thread (the list envelope, list order and cursors) and
 * across the tenant's threads (hits with their thread, rank and snippet, best first within windows
 * of the newest RANK_WINDOW matches, paged by the last hit's id).
 */

let t: TestApp;
let first: string;
let second: string;
const AZURE = { 'api-key': KEY_A };
const AZURE_V2 = '2024-08-01-preview';

const text = (res: Response): string[] => res.body.data.map((m: { content: { text: { value: string } }[] }) => m.content[0].text.value);

async function thread(key: string, messages: string[]): Promise<string> {
  const res = await t.http
    .post('/v1/threads')
    .set(bearer(key))
    .send({ messages: messages.map((content) => ({ role: 'user', content })) });
  expect(res.status).toBe(200);
  return res.body.id;
}

beforeAll(async () => {
  t = await startTestApp();
  first = await thread(KEY_A, ['The quick brown fox', 'jumps over the lazy dog', 'brown bread and butter', 'Zürich is in Switzerland', 'nothing to see']);
  second = await thread(KEY_A, ['a brown fox again', 'brown brown brown', 'the fox is quick and brown']);
  await thread(KEY_B, ['brown fox of another tenant']);
});

afterAll(async () => {
  await t?.close();
});

describe('search within a thread: GET /threads/{id}/messages?query=', () => {
  it('lists the matching messages only, in the list order and envelope, in both dialects', async () => {
    const res = await t.http.get(`/v1/threads/${first}/messages`).set(bearer(KEY_A)).query({ query: 'brown' });
    expect(res.status).toBe(200);
    expect(text(res)).toEqual(['brown bread and butter', 'The quick brown fox']);
    expect(res.body).toMatchObject({ object: 'list', has_more: false, first_id: res.body.data[0].id, last_id: res.body.data[1].id });
    const azure = await t.http.get(`/openai/threads/${first}/messages`).set(AZURE).query({ query: 'brown', order: 'asc', 'api-version': AZURE_V2 });
    expect(text(azure)).toEqual(['The quick brown fox', 'brown bread and butter']);
  });

  it('matches all words, exact phrases, prefixes, OR and exclusions, case-insensitively and in any language', async () => {
    const search = async (query: string) => text(await t.http.get(`/v1/threads/${first}/messages`).set(bearer(KEY_A)).query({ query, order: 'asc' }));
    expect(await search('QUICK fox')).toEqual(['The quick brown fox']);
    expect(await search('"brown fox"')).toEqual(['The quick brown fox']);
    expect(await search('"fox brown"')).toEqual([]);
    expect(await search('bre*')).toEqual(['brown bread and butter']);
    expect(await search('zür*')).toEqual(['Zürich is in Switzerland']);
    expect(await search('lazy or butter')).toEqual(['jumps over the lazy dog', 'brown bread and butter']);
    expect(await search('brown -bread')).toEqual(['The quick brown fox']);
    expect(await search('bro')).toEqual([]);
  });

  it('stores and finds a message whose text holds a NUL character (which jsonb cannot hold)', async () => {
    const created = await t.http.post(`/v1/threads/${second}/messages`).set(bearer(KEY_A)).send({ role: 'user', content: 'nul\u0000byte here' });
    expect(created.status).toBe(200);
    const found = await t.http.get(`/v1/threads/${second}/messages`).set(bearer(KEY_A)).query({ query: 'byte' });
    expect(text(found)).toEqual(['nul\u0000byte here']);
    const hits = await t.http.get('/v1/messages/search').set(bearer(KEY_A)).query({ query: 'byte' });
    expect(hits.body.data.map((hit: { snippet: string }) => hit.snippet.endsWith('<mark>byte</mark> here'))).toEqual([true]);
    await t.http.delete(`/v1/threads/${second}/messages/${created.body.id}`).set(bearer(KEY_A)).expect(200);
  });

  it('pages the matches with after and before', async () => {
    const page1 = await t.http.get(`/v1/threads/${second}/messages`).set(bearer(KEY_A)).query({ query: 'brown', limit: '2', order: 'asc' });
    expect(text(page1)).toEqual(['a brown fox again', 'brown brown brown']);
    expect(page1.body.has_more).toBe(true);
    const page2 = await t.http
      .get(`/v1/threads/${second}/messages`)
      .set(bearer(KEY_A))
      .query({ query: 'brown', limit: '2', order: 'asc', after: page1.body.last_id });
    expect(text(page2)).toEqual(['the fox is quick and brown']);
    expect(page2.body.has_more).toBe(false);
    const back = await t.http
      .get(`/v1/threads/${second}/messages`)
      .set(bearer(KEY_A))
      .query({ query: 'brown', limit: '2', order: 'asc', before: page2.body.first_id });
    expect(back.body.data.map((m: { id: string }) => m.id)).toEqual(page1.body.data.map((m: { id: string }) => m.id));
  });

  it('keeps tenancy: another tenant’s thread is not found', async () => {
    const res = await t.http.get(`/v1/threads/${first}/messages`).set(bearer(KEY_B)).query({ query: 'brown' });
    expectErrorEnvelope(res, 404);
  });
});

describe('search across threads: GET /messages/search', () => {
  it('answers hits with the thread, the message, a rank and a highlighted snippet, best first, only the tenant’s', async () => {
    const res = await t.http.get('/v1/messages/search').set(bearer(KEY_A)).query({ query: 'brown' });
    expect(res.status).toBe(200);
    expect(res.body.object).toBe('list');
    expect(res.body.data).toHaveLength(5);
    const best = res.body.data[0];
    expect(Object.keys(best).sort()).toEqual(['id', 'message', 'object', 'rank', 'snippet', 'thread_id']);
    expect(best).toMatchObject({
      object: 'thread.message.search_result',
      thread_id: second,
      snippet: '<mark>brown</mark> <mark>brown</mark> <mark>brown</mark>',
    });
    expect(best.message).toMatchObject({ object: 'thread.message', thread_id: second, content: [{ type: 'text', text: { value: 'brown brown brown' } }] });
    const ranks = res.body.data.map((hit: { rank: number }) => hit.rank);
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
    expect(ranks[0]).toBeGreaterThan(ranks[4]);
    expect(new Set(res.body.data.map((hit: { thread_id: string }) => hit.thread_id))).toEqual(new Set([first, second]));
    expect(res.body.data.some((hit: { snippet: string }) => hit.snippet.includes('another tenant'))).toBe(false);
    expect(res.body.first_id).toBe(best.id);
    const beta = await t.http.get('/v1/messages/search').set(bearer(KEY_B)).query({ query: 'brown' });
    expect(beta.body.data.map((hit: { snippet: string }) => hit.snippet)).toEqual(['<mark>brown</mark> fox of another tenant']);
  });

  it('pages with the last hit’s id: every hit once, in the same order as one big page', async () => {
    const all = await t.http.get('/v1/messages/search').set(bearer(KEY_A)).query({ query: 'brown', limit: '100' });
    const seen: string[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const res = await t.http
        .get('/v1/messages/search')
        .set(bearer(KEY_A))
        .query({ query: 'brown', limit: '2', ...(after ? { after } : {}) });
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((hit: { message: { id: string } }) => hit.message.id));
      if (!res.body.has_more) break;
      after = res.body.last_id;
    }
    expect(seen).toEqual(all.body.data.map((hit: { message: { id: string } }) => hit.message.id));
    expect(seen).toHaveLength(5);
  });

  it('shapes the message as the request asks: v1 in the Azure dialect’s early versions', async () => {
    const res = await t.http.get('/openai/messages/search').set(AZURE).query({ query: 'zür*', 'api-version': '2024-02-15-preview' });
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(1);
    expect(res.body.data[0].message.file_ids).toEqual([]);
    expect(res.body.data[0].message.attachments).toBeUndefined();
    expect(res.body.data[0].snippet).toBe('<mark>Zürich</mark> is in Switzerland');
  });

  it('answers bad input with a 400 in the envelope, and stores nothing', async () => {
    const before = await snapshot(t.db);
    const cases: [Record<string, string>, string][] = [
      [{}, 'query'],
      [{ query: '!!!' }, 'query'],
      [{ query: '_ __' }, 'query'],
      [{ query: 'x'.repeat(1001) }, 'query'],
      [{ query: 'brown', limit: '0' }, 'limit'],
      [{ query: 'brown', after: 'msg_abc' }, 'after'],
      [{ query: 'brown', after: 'hit_bm90LWEtY3Vyc29y' }, 'after'],
      [{ query: 'brown', before: 'x' }, 'before'],
      [{ query: 'brown\u0000x' }, 'query'],
      ...['1e999', '1e-999', '3.5e38', '1'.repeat(44)].map((rank): [Record<string, string>, string] => [
        { query: 'brown', after: `hit_${Buffer.from(`${rank}:41:0:`).toString('base64url')}` },
        'after',
      ]),
    ];
    for (const [query, param] of cases) {
      const res = await t.http.get('/v1/messages/search').set(bearer(KEY_A)).query(query);
      expectErrorEnvelope(res, 400);
      expect({ query, param: res.body.error.param }).toEqual({ query, param });
    }
    for (const query of ['""', 'brown\u0000x']) {
      const inThread = await t.http.get(`/v1/threads/${first}/messages`).set(bearer(KEY_A)).query({ query });
      expectErrorEnvelope(inThread, 400);
      expect(inThread.body.error.param).toBe('query');
    }
    expect((await t.http.get('/v1/messages/search').query({ query: 'brown' })).status).toBe(401);
    expect(await snapshot(t.db)).toBe(before);
  });
});

describe('search across threads, more matches than one window', () => {
  const WORD = 'windowword';
  const MATCHES = 2 * RANK_WINDOW + 300;
  type Hit = { id: string; message: { id: string }; rank: number };

  /** Every match in the order the API promises: the newest RANK_WINDOW best first, then the RANK_WINDOW before them, and so on. */
  async function expectedOrder(): Promise<string[]> {
    const { rows } = await t.db.query<{ id: string; seq: string; rank: string }>(
      `SELECT id, seq::text, ts_rank(search_vector, to_tsquery('simple', $1))::text AS rank
       FROM messages WHERE tenant_id = 'alpha' AND item IS NULL AND search_vector @@ to_tsquery('simple', $1) ORDER BY messages.seq DESC`,
      [WORD],
    );
    const order: string[] = [];
    for (let start = 0; start < rows.length; start += RANK_WINDOW) {
      const window = rows.slice(start, start + RANK_WINDOW);
      window.sort((a, b) => Number(b.rank) - Number(a.rank) || Number(BigInt(b.seq) - BigInt(a.seq)));
      order.push(...window.map((row) => row.id));
    }
    return order;
  }

  async function page(after?: string): Promise<{ hits: Hit[]; hasMore: boolean; lastId: string }> {
    const res = await t.http
      .get('/v1/messages/search')
      .set(bearer(KEY_A))
      .query({ query: WORD, limit: '100', ...(after ? { after } : {}) });
    expect(res.status).toBe(200);
    return { hits: res.body.data, hasMore: res.body.has_more, lastId: res.body.last_id };
  }

  let threadId: string;

  beforeAll(async () => {
    threadId = await thread(KEY_A, ['the thread of many matches']);
    // The word once to four times among fillers of varying length: ranks of every kind, spread over the windows.
    await t.db.query(
      `INSERT INTO messages (thread_id, id, tenant_id, created_at, role, content, attachments, status, completed_at, metadata)
       SELECT $1, 'msg_window_' || lpad(g::text, 6, '0'), 'alpha', 1700000000 + g, 'user',
              json_build_array(json_build_object('type', 'text', 'text', json_build_object(
                'value', repeat($2 || ' ', 1 + (g * 7) % 4) || repeat('filler ', (g * 13) % 9), 'annotations', json_build_array()))),
              '[]', 'completed', 1700000000 + g, '{}'
       FROM generate_series(1, $3::int) g ORDER BY g`,
      [threadId, WORD, MATCHES],
    );
  });

  it('pages through every match once: each window of the newest matches best first, then the older ones', async () => {
    const expected = await expectedOrder();
    expect(expected).toHaveLength(MATCHES);
    const seen: Hit[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 30; pages++) {
      const { hits, hasMore, lastId } = await page(after);
      seen.push(...hits);
      if (!hasMore) break;
      after = lastId;
    }
    expect(seen.map((hit) => hit.message.id)).toEqual(expected);
    // Within a window, best first; the first hit of the second window may outrank the last of the first.
    const firstWindow = seen.slice(0, RANK_WINDOW).map((hit) => hit.rank);
    expect(firstWindow).toEqual([...firstWindow].sort((a, b) => b - a));
    expect(new Set(seen.map((hit) => hit.id)).size).toBe(MATCHES);
  });

  it('keeps its pages while messages are added: no hit twice, none lost; new ones only join the newest window', async () => {
    const expected = await expectedOrder();
    const seen: string[] = [];
    const added: string[] = [];
    let after: string | undefined;
    // Pages of 100: on the newest window's last page, and on the second window's third; matches added then, ranked best.
    const addAt = [RANK_WINDOW / 100 - 1, RANK_WINDOW / 100 + 2];
    for (let pages = 0; pages < 40; pages++) {
      const { hits, hasMore, lastId } = await page(after);
      seen.push(...hits.map((hit) => hit.message.id));
      if (addAt.includes(pages)) {
        const res = await t.http
          .post(`/v1/threads/${threadId}/messages`)
          .set(bearer(KEY_A))
          .send({ role: 'user', content: `${WORD} ${WORD} ${WORD} ${WORD} ${WORD} added ${pages}` });
        expect(res.status).toBe(200);
        added.push(res.body.id);
      }
      if (!hasMore) break;
      after = lastId;
    }
    expect(added).toHaveLength(2);
    expect(new Set(seen).size).toBe(seen.length);
    // The original matches in their order, the added ones left out.
    expect(seen.filter((id) => !added.includes(id))).toEqual(expected);
    // Both outrank every hit after the cursor: neither shows on the pages under way (the newest window is past its
    // best hits, and the second window is bounded below the first).
    expect(seen.filter((id) => added.includes(id))).toEqual([]);
    const fresh = await page();
    expect(
      fresh.hits
        .slice(0, 2)
        .map((hit) => hit.message.id)
        .sort(),
    ).toEqual([...added].sort());
  });
});
