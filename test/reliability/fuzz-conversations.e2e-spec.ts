import { SeededRandom, replayCommand, seedsFor } from '../support/seeded-random';
import { bearer, KEY_A, KEY_B, startTestApp, TestApp } from '../support/test-app';

/**
 * Seeded hostile and valid requests on the Conversations routes, mixed with Assistants writes on
 * the same threads. A model holds what each conversation must contain (item ids in order); after
 * every request: no 5xx, errors in the envelope, a refused request changes nothing, and at the
 * end both APIs list exactly the model's items in the model's order.
 */

const VARIABLE = 'FUZZ_CONVERSATIONS_SEED';
const FIXED_SEEDS = [1, 0x5eed];
const STEPS = 150;

interface Model {
  conversations: Map<string, { items: { id: string; assistants: boolean }[] }>;
}

const WEIRD: unknown[] = [null, 0, -1, 1.5, '', ' ', '\u0000', 'x'.repeat(300), [], {}, [[]], { type: 'message' }, true, '__proto__'];

function randomPart(rng: SeededRandom): unknown {
  return rng.pick<unknown>([
    { type: 'input_text', text: rng.pick(['hi', '', 'é\u2028', '\u0000nul']) },
    { type: 'output_text', text: 'out', annotations: [] },
    { type: 'input_image', image_url: 'https://example.com/i.png' },
    { type: 'input_image', file_id: 'file-x', detail: rng.pick(['low', 'high', 'auto', 'bogus']) },
    { type: 'input_file', file_id: 'file-y' },
    { type: 'input_file', file_data: 'data:text/plain;base64,aGk=', filename: 'a.txt' },
    { type: 'refusal', refusal: 'no' },
    { type: rng.pick(['text', 'image_url', 'nope']) },
    rng.pick(WEIRD),
  ]);
}

function randomItem(rng: SeededRandom): unknown {
  const role = rng.pick(['user', 'assistant', 'system', 'developer', 'tool', 7]);
  return rng.pick<unknown>([
    { type: 'message', role, content: rng.pick<unknown>(['text', Array.from({ length: rng.range(0, 3) }, () => randomPart(rng)), rng.pick(WEIRD)]) },
    { role, content: 'easy' },
    { type: 'function_call', call_id: rng.pick<unknown>(['call_1', 5]), name: 'f', arguments: '{}' },
    { type: 'function_call_output', call_id: 'call_1', output: rng.pick<unknown>(['ok', { nested: true }]) },
    { type: 'reasoning', summary: [] },
    { type: rng.pick(['item_reference', 'bogus', '']) },
    rng.pick(WEIRD),
  ]);
}

function randomItems(rng: SeededRandom): unknown {
  if (rng.chance(0.1)) return rng.pick(WEIRD);
  return Array.from({ length: rng.chance(0.05) ? 21 : rng.range(0, 4) }, () => randomItem(rng));
}

describe.each(seedsFor(VARIABLE, FIXED_SEEDS))('conversations fuzz, seed %i', (seed) => {
  let t: TestApp;
  const model: Model = { conversations: new Map() };
  const replay = replayCommand(VARIABLE, seed, 'test/reliability/fuzz-conversations.e2e-spec.ts');

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  async function stored(): Promise<string> {
    const { rows } = await t.db.query(
      `SELECT (SELECT count(*) FROM threads) AS t, (SELECT md5(coalesce(string_agg(m::text, '|' ORDER BY thread_id, seq), '')) FROM messages m) AS m`,
    );
    return JSON.stringify(rows[0]);
  }

  it(`keeps both views equal to the model over ${STEPS} requests (replay: ${replay})`, async () => {
    const rng = new SeededRandom(seed);
    for (let step = 0; step < STEPS; step++) {
      const ids = [...model.conversations.keys()];
      const live = ids.length > 0 && rng.chance(0.85) ? rng.pick(ids) : rng.pick(['conv_missing', 'thread_x', `conv_${'z'.repeat(200)}`, 'conv_%00']);
      const key = rng.chance(0.9) ? KEY_A : KEY_B;
      const foreign = key === KEY_B;
      const prefix = rng.pick(['/v1', '/openai/v1']);
      const op = rng.weighted({ create: 3, addItems: 5, assistantsAdd: 3, list: 2, getItem: 2, deleteItem: 2, update: 1, delete: 1 });
      const before = await stored();
      const context = `seed ${seed} step ${step} ${op}`;
      let res;
      let accepted: string[] | undefined;
      switch (op) {
        case 'create': {
          const body = rng.chance(0.8)
            ? { items: randomItems(rng), ...(rng.chance(0.3) ? { metadata: rng.pick<unknown>([{ a: 'b' }, { a: 1 }, null]) } : {}) }
            : rng.pick(WEIRD);
          res = await t.http.post(`${prefix}/conversations`).set(bearer(key)).set('Content-Type', 'application/json').send(JSON.stringify(body));
          if (res.status === 200) {
            const list = await t.http.get(`/v1/conversations/${res.body.id}/items?order=asc&limit=100`).set(bearer(key));
            model.conversations.set(res.body.id, {
              items: list.body.data.map((i: { id: string; type: string; role?: string }) => ({ id: i.id, assistants: false })),
            });
            expect({ context, count: list.body.data.length }).toEqual({ context, count: (body as { items?: unknown[] } | null)?.items?.length ?? 0 });
            if (foreign) model.conversations.delete(res.body.id); // another tenant's: not listed by the model's key
          }
          break;
        }
        case 'addItems': {
          res = await t.http
            .post(`${prefix}/conversations/${live}/items`)
            .set(bearer(key))
            .send({ items: randomItems(rng) });
          if (res.status === 200) accepted = res.body.data.map((i: { id: string }) => i.id);
          break;
        }
        case 'assistantsAdd': {
          const threadId = live.replace(/^conv_/, 'thread_');
          res = await t.http
            .post(`/v1/threads/${threadId}/messages`)
            .set(bearer(key))
            .send({ role: rng.pick(['user', 'assistant', 'system']), content: rng.pick<unknown>(['hello', [], [{ type: 'text', text: 'hi' }]]) });
          if (res.status === 200) accepted = [res.body.id];
          break;
        }
        case 'list':
          res = await t.http
            .get(`${prefix}/conversations/${live}/items?${rng.pick(['limit=0', 'limit=101', 'order=up', 'after=msg_x', 'limit=3', 'include=bogus', ''])}`)
            .set(bearer(key));
          break;
        case 'getItem': {
          const item = model.conversations.get(live)?.items;
          res = await t.http
            .get(`${prefix}/conversations/${live}/items/${item && item.length > 0 && rng.chance(0.7) ? rng.pick(item).id : 'msg_nope'}`)
            .set(bearer(key));
          break;
        }
        case 'deleteItem': {
          const items = model.conversations.get(live)?.items;
          const target = items && items.length > 0 && rng.chance(0.8) ? rng.pick(items).id : 'fc_nope';
          res = await t.http.delete(`${prefix}/conversations/${live}/items/${target}`).set(bearer(key));
          if (res.status === 200 && items)
            items.splice(
              items.findIndex((i) => i.id === target),
              1,
            );
          break;
        }
        case 'update':
          res = await t.http
            .post(`${prefix}/conversations/${live}`)
            .set(bearer(key))
            .send({ metadata: rng.pick<unknown>([{ k: 'v' }, { k: 5 }, 'x']) });
          break;
        case 'delete':
          res = await t.http.delete(`${prefix}/conversations/${live}`).set(bearer(key));
          if (res.status === 200) model.conversations.delete(live);
          break;
      }
      expect({ context, serverError: res.status >= 500, body: res.status >= 500 ? res.body : undefined }).toEqual({
        context,
        serverError: false,
        body: undefined,
      });
      if (res.status !== 200) {
        expect({ context, keys: Object.keys(res.body) }).toEqual({ context, keys: ['error'] });
        expect({ context, unchanged: await stored() }).toEqual({ context, unchanged: before });
      }
      // Another tenant never reaches this tenant's conversations.
      if (foreign && model.conversations.has(live) && op !== 'create')
        expect({ context, status: res.status }).toEqual({ context, status: res.status === 400 ? 400 : 404 });
      if (accepted && model.conversations.has(live)) {
        const items = (model.conversations.get(live) as Model['conversations'] extends Map<string, infer V> ? V : never).items;
        items.push(...accepted.map((id) => ({ id, assistants: false })));
      }
    }

    // Both views equal the model: every item in order through Conversations, the message items through Assistants.
    for (const [id, { items }] of model.conversations) {
      const conv = await t.http.get(`/v1/conversations/${id}/items?order=asc&limit=100`).set(bearer(KEY_A));
      expect({ id, items: conv.body.data.map((i: { id: string }) => i.id) }).toEqual({ id, items: items.map((i) => i.id) });
      const shown = conv.body.data.filter((i: { type: string; role?: string }) => i.type === 'message' && (i.role === 'user' || i.role === 'assistant'));
      const threadId = id.replace(/^conv_/, 'thread_');
      const msgs = await t.http.get(`/v1/threads/${threadId}/messages?order=asc&limit=100`).set(bearer(KEY_A));
      const assistantsIds: string[] = msgs.body.data.map((m: { id: string }) => m.id);
      // Every Assistants message is a message item of the same id, in the same order.
      expect({ id, subsequence: assistantsIds.every((m) => shown.some((i: { id: string }) => i.id === m)) }).toEqual({ id, subsequence: true });
      expect({ id, order: assistantsIds }).toEqual({ id, order: items.map((i) => i.id).filter((i) => assistantsIds.includes(i)) });
    }
  });
});
