import { API_ROUTES, FuzzCase, FuzzGenerator, FuzzWorld, Tenant } from '../support/reliability/fuzz-generator';
import { ModelStore } from '../support/reliability/fuzz-model';
import { envelopeProblem, jsonOf, RawOutcome, sendRaw } from '../support/reliability/raw-http';
import { replayCommand, seedsFor } from '../support/seeded-random';
import { bearer, KEY_A, KEY_A2, KEY_B, snapshot, startTestApp, TestApp } from '../support/test-app';

/**
 * Bad input: thousands of generated hostile requests over every route of both dialects, sent as raw
 * HTTP. Every answer is a 2xx (only where the input is in fact valid) or a 4xx in the error
 * envelope, never a 5xx; the process keeps serving; a rejected request changes nothing (a checksum
 * of the tables after every write request that was not a success) and the tables hold exactly
 * what the successes created (compared with a model after every batch).
 *
 * Each seed runs against a fresh database: the fixed ones (every seed that ever found a bug stays
 * in the list), then one fresh seed; a failure names the command that replays its seed.
 */

const FUZZ_SEEDS = seedsFor('FUZZ_SEED', [
  2230220267, // a file id holding a NUL byte was stored, then refused as a cursor
  1643811093, // a v1 file id with non-ASCII characters could not be sent back as its own cursor
  1731706851, // Expect: 100-continue without a body: Node's client sends an empty chunked body
  576320075,
  3593059218, // the model took a file id of plain visible ASCII for a unicode one
  205874333, // the draw left a route short of cases: the short ones are now sent after it
  2734264721, // 'no file part' after 'two file parts' removed only the first: one valid file part was left
  1579064825, // the same
]);
const REQUESTS = 2000;
const BATCH = 50;
/** The fewest cases of each route in each dialect and shape. */
const COVERAGE = 5;
const BODY_LIMIT = 256 * 1024;
const STACK_TRACE = /\n\s*at\s|\bat\s+\S+\s+\(\S+:\d+:\d+\)|\.ts:\d+|node_modules/;
const SQL_LEAK =
  /\b(SELECT|INSERT INTO|UPDATE\s+\w+\s+SET|DELETE FROM|RETURNING)\b|QueryFailedError|relation "|violates|duplicate key|invalid input syntax|pg_/;

interface Failure {
  n: number;
  summary: string;
  detail: string;
}

function describeCase(c: FuzzCase): string {
  const body = c.body === undefined ? '' : ` body(${c.body.length}B)=${JSON.stringify(c.body.subarray(0, 160).toString('latin1'))}`;
  const headers = Object.entries(c.headers)
    .map(([k, v]) => `${k}: ${JSON.stringify(v).slice(0, 80)}`)
    .join(', ');
  return (
    `#${c.n} ${c.kind} ${c.dialect}/${c.shape} ${c.method} ${c.path.slice(0, 160)} [${headers}]${body} ` +
    `notes=[${c.notes.join(' | ')}] expect=${c.expect}${c.status ? `/${c.status}` : ''}`
  );
}

function answerOf(outcome: RawOutcome): string {
  if (!outcome.response) return `${outcome.error?.code}: ${outcome.error?.message}`;
  return `${outcome.response.status} ${outcome.response.text.slice(0, 200)}`;
}

describe.each(FUZZ_SEEDS)('fuzz: hostile requests on every route of both dialects (FUZZ_SEED=%i)', (seed) => {
  const replay = replayCommand('FUZZ_SEED', seed, 'test/reliability/fuzz.e2e-spec.ts');
  let t: TestApp & { url?: string };
  let port: number;
  let model: ModelStore;

  beforeAll(async () => {
    console.log(`fuzz: FUZZ_SEED=${seed} (replay: ${replay})`);
    t = await startTestApp({ listen: true, bodyLimitBytes: BODY_LIMIT });
    port = Number(new URL(t.url as string).port);
    model = new ModelStore(t.db);
  });

  afterAll(async () => {
    await t?.close();
  });

  /** Valid requests (not counted as fuzz) that give the generator live threads, messages and files to aim at. */
  async function replenish(): Promise<void> {
    for (const [tenant, key, wanted] of [
      ['A', KEY_A, 3],
      ['B', KEY_B, 2],
    ] as [Tenant, string, number][]) {
      while (model.liveFiles(tenant).length < wanted) {
        const file = await t.http
          .post('/v1/files')
          .set(bearer(key))
          .field('purpose', 'assistants')
          .attach('file', Buffer.from(`fixture of ${tenant}`), 'fixture.txt');
        expect(file.status).toBe(200);
        model.addFile(file.body, tenant);
      }
    }
    for (const [tenant, key, wanted] of [
      ['A', KEY_A, 4],
      ['B', KEY_B, 2],
    ] as [Tenant, string, number][]) {
      while (model.liveThreads(tenant).filter((id) => model.liveMessages(id).length >= 2).length < wanted) {
        const thread = await t.http
          .post('/v1/threads')
          .set(bearer(key))
          .send({ metadata: { fixture: 'yes' } });
        expect(thread.status).toBe(200);
        model.addThread(thread.body.id, tenant, thread.body.metadata, thread.body.tool_resources);
        for (let i = 0; i < 3; i++) {
          const body =
            i === 0
              ? { role: 'user', content: `fixture ${i}`, attachments: [{ file_id: `file-fx${i}`, tools: [] }] }
              : { role: 'assistant', content: `fixture ${i}` };
          const message = await t.http.post(`/v1/threads/${thread.body.id}/messages`).set(bearer(key)).send(body);
          expect(message.status).toBe(200);
          model.addMessage(message.body, tenant);
        }
      }
    }
  }

  it(`answers ${REQUESTS} generated requests with a 2xx or a 4xx envelope, never a 5xx, and rejected requests change nothing`, async () => {
    const started = Date.now();
    await replenish();
    const generator = new FuzzGenerator(seed, model as FuzzWorld, { bodyLimitBytes: BODY_LIMIT, keys: { A: KEY_A, A2: KEY_A2, B: KEY_B } });
    const failures: Failure[] = [];
    const statuses = new Map<number | string, number>();
    const coverage = new Map<string, number>();
    // Failures are grouped by what went wrong, the route and the mutation that most likely caused it.
    const principal = (c: FuzzCase) => c.notes.find((note) => note.startsWith('body:')) ?? c.notes.find((note) => !note.startsWith('header ')) ?? '';
    const fail = (c: FuzzCase, summary: string, outcome?: RawOutcome) =>
      failures.push({ n: c.n, summary: `${summary} [${c.kind} ${principal(c)}]`, detail: `${describeCase(c)}\n    => ${outcome ? answerOf(outcome) : ''}` });

    let base = await snapshot(t.db);
    /** Sends one case and checks its answer, the model and (for a write) the database. */
    const check = async (c: FuzzCase) => {
      const outcome = await sendRaw(port, { method: c.method, path: c.path, headers: c.headers, body: c.body, chunked: c.chunked, timeoutMs: 15_000 });
      const response = outcome.response;
      const key = `${c.kind} ${c.dialect}/${c.shape}`;
      coverage.set(key, (coverage.get(key) ?? 0) + 1);
      statuses.set(response?.status ?? outcome.error?.code ?? '?', (statuses.get(response?.status ?? outcome.error?.code ?? '?') ?? 0) + 1);
      const isWrite = c.method !== 'GET' && c.method !== 'HEAD';

      if (!response) {
        fail(c, `no answer (${outcome.error?.code})`, outcome);
      } else {
        const status = response.status;
        const success = status >= 200 && status < 300;
        if (status >= 500) fail(c, `${status} server error`, outcome);
        else if (!success && (status < 400 || status >= 500)) fail(c, `unexpected status ${status}`, outcome);
        else if (success && c.expect === 'reject') fail(c, `accepted (${status}) input that must be refused`, outcome);
        else if (!success && c.expect === 'ok') fail(c, `refused (${status}) valid input`, outcome);
        else if (!success && c.status !== undefined && status !== c.status) fail(c, `status ${status}, expected ${c.status}`, outcome);
        if (c.method !== 'HEAD' && status < 500) {
          if (!success) {
            const problem = envelopeProblem(response, { azureAuth: c.dialect === 'azure' });
            if (problem) fail(c, `no error envelope: ${problem}`, outcome);
          } else if (c.kind === 'getFileContent') {
            for (const problem of model.checkContent(c, response.body)) fail(c, problem, outcome);
          } else if (!/^application\/json/.test(response.headers['content-type'] ?? '') || jsonOf(response) === undefined) {
            fail(c, 'success that is not JSON', outcome);
          }
          // Successes echo what was sent; errors must not leak internals.
          if (!success && (STACK_TRACE.test(response.text) || SQL_LEAK.test(response.text))) fail(c, 'stack trace or SQL in an error', outcome);
        }
        if (success && c.method !== 'HEAD' && c.kind !== 'getFileContent') {
          const problems = await model.applySuccess(c, jsonOf(response));
          for (const problem of problems) fail(c, problem, outcome);
        }
      }

      // Rejected writes change nothing: the checksum right after equals the one right before.
      if (isWrite) {
        const success = !!response && response.status >= 200 && response.status < 300;
        const after = await snapshot(t.db);
        if (!success && after !== base) fail(c, 'a refused write changed the database', outcome);
        base = after;
      }
    };
    /** The model against the database, the service still answering, and fresh targets. */
    const checkpoint = async (n: number) => {
      for (const problem of await model.compareWithDatabase()) failures.push({ n, summary: problem, detail: `after request #${n}: ${problem}` });
      const health = await sendRaw(port, { method: 'GET', path: '/healthz', timeoutMs: 5000 });
      if (health.response?.status !== 200) throw new Error(`the service stopped answering after request #${n}: ${answerOf(health)}`);
      await replenish();
      base = await snapshot(t.db);
    };

    for (let n = 1; n <= REQUESTS; n++) {
      await check(generator.next());
      if (n % BATCH === 0 || n === REQUESTS) await checkpoint(n);
    }
    // Every route of both dialects in both shapes gets at least COVERAGE cases: what the draw left short is sent now.
    let extra = 0;
    for (const kind of API_ROUTES) {
      for (const dialect of ['openai', 'azure'] as const) {
        for (const shape of ['v1', 'v2'] as const) {
          while ((coverage.get(`${kind} ${dialect}/${shape}`) ?? 0) < COVERAGE) {
            await check(generator.next({ kind, dialect, shape }));
            extra++;
          }
        }
      }
    }
    if (extra > 0) await checkpoint(REQUESTS + extra);

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const groups = new Map<string, Failure[]>();
    for (const failure of failures) groups.set(failure.summary, [...(groups.get(failure.summary) ?? []), failure]);
    console.log(
      [
        `fuzz: seed ${seed}, ${REQUESTS} requests (+${extra} for coverage) in ${seconds}s; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`,
        `fuzz: model ${model.counts()}`,
        `fuzz: ${failures.length} failures in ${groups.size} kinds`,
        ...[...groups].map(([summary, list]) => `  ${list.length}x ${summary}\n    e.g. ${list[0].detail}`),
      ].join('\n'),
    );

    // Every route of both dialects, in both shapes, was exercised; the draw alone covered most of them.
    for (const route of API_ROUTES) {
      for (const combo of ['openai/v1', 'openai/v2', 'azure/v1', 'azure/v2']) {
        expect([`${route} ${combo}`, (coverage.get(`${route} ${combo}`) ?? 0) >= COVERAGE]).toEqual([`${route} ${combo}`, true]);
      }
    }
    expect(extra).toBeLessThan(REQUESTS / 20);
    expect({ replay, failures: [...groups].map(([summary, list]) => `${list.length}x ${summary} -- e.g. ${list[0].detail}`) }).toEqual({
      replay,
      failures: [],
    });
  }, 300_000);
});

/**
 * Inputs the generator finds only by chance, replayed on every run: each must get a 2xx (where it
 * is in fact valid) or a 4xx in the envelope, never a 5xx, and a refused one stores nothing.
 */
describe('fuzz corpus: fixed hostile inputs, and the default 10 MiB body limit', () => {
  let t: TestApp & { url?: string };
  let port: number;
  let threadId: string;
  let messageId: string;
  const auth = { Authorization: `Bearer ${KEY_A}`, 'Content-Type': 'application/json' };

  beforeAll(async () => {
    t = await startTestApp({ listen: true });
    port = Number(new URL(t.url as string).port);
    const thread = await t.http
      .post('/v1/threads')
      .set(bearer(KEY_A))
      .send({ messages: [{ role: 'user', content: 'first' }] });
    expect(thread.status).toBe(200);
    threadId = thread.body.id;
    const message = await t.http.post(`/v1/threads/${threadId}/messages`).set(bearer(KEY_A)).send({ role: 'user', content: 'second' });
    expect(message.status).toBe(200);
    messageId = message.body.id;
  });

  afterAll(async () => {
    await t?.close();
  });

  type Expectation = 'ok' | 'reject' | 'either';
  const corpus: [string, string, string, Record<string, string>, string | undefined, Expectation][] = [
    ['thread with a message whose content holds an escaped NUL', 'POST', '/v1/threads', auth, '{"messages":[{"role":"user","content":"a\\u0000b"}]}', 'either'],
    ['thread with a message whose content is a lone surrogate', 'POST', '/v1/threads', auth, '{"messages":[{"role":"user","content":"\\ud800"}]}', 'either'],
    [
      'thread with a message whose metadata holds an escaped NUL',
      'POST',
      '/v1/threads',
      auth,
      '{"messages":[{"role":"user","content":"x","metadata":{"k":"\\u0000"}}]}',
      'either',
    ],
    ['message whose content holds an escaped NUL', 'POST', '/v1/threads/{t}/messages', auth, '{"role":"user","content":"a\\u0000b"}', 'either'],
    ['message whose content is a lone surrogate', 'POST', '/v1/threads/{t}/messages', auth, '{"role":"user","content":"\\udfff"}', 'either'],
    ['messages holding an empty array', 'POST', '/v1/threads', auth, '{"messages":[[]]}', 'reject'],
    ['messages holding an array of messages', 'POST', '/v1/threads', auth, '{"messages":[[{"role":"user","content":"x"}]]}', 'reject'],
    ['attachments holding an empty array', 'POST', '/v1/threads/{t}/messages', auth, '{"role":"user","content":"x","attachments":[[]]}', 'reject'],
    [
      'attachment tools holding an empty array',
      'POST',
      '/v1/threads/{t}/messages',
      auth,
      '{"role":"user","content":"x","attachments":[{"file_id":"f","tools":[[]]}]}',
      'reject',
    ],
    ['unknown field "constructor"', 'POST', '/v1/threads', auth, '{"constructor":{}}', 'reject'],
    ['unknown field "toString"', 'POST', '/v1/threads/{t}/messages', auth, '{"role":"user","content":"x","toString":1}', 'reject'],
    ['unknown field "prototype"', 'POST', '/v1/threads/{t}', auth, '{"prototype":{}}', 'reject'],
    ['unknown query parameter "constructor"', 'GET', '/v1/threads/{t}/messages?constructor=x', auth, undefined, 'reject'],
    ['unknown query parameter "hasOwnProperty"', 'GET', '/v1/threads/{t}/messages?hasOwnProperty=x', auth, undefined, 'reject'],
    ['percent-encoded /v1 prefix without a key', 'POST', '/%76%31/threads', { 'Content-Type': 'application/json' }, '{}', 'reject'],
    ['percent-encoded /v1 prefix with a key', 'POST', '/%76%31/threads', auth, '{}', 'either'],
    [
      'percent-encoded /openai prefix with a key',
      'POST',
      '/%6Fpenai/threads?api-version=2024-08-01-preview',
      { 'api-key': KEY_A, 'Content-Type': 'application/json' },
      '{}',
      'either',
    ],
    [
      'percent-encoded message path without a key',
      'POST',
      '/v1/threads/{t}/%6Dessages',
      { 'Content-Type': 'application/json' },
      '{"role":"user","content":"x"}',
      'reject',
    ],
    ['upper-case /V1 prefix without a key', 'POST', '/V1/threads', { 'Content-Type': 'application/json' }, '{}', 'reject'],
    ['upper-case /V1 prefix with a key', 'POST', '/V1/threads', auth, '{}', 'either'],
    ['malformed percent-encoding in a thread id', 'GET', '/v1/threads/%E0%A4%A', auth, undefined, 'reject'],
    ['overlong UTF-8 in a thread id', 'DELETE', '/v1/threads/%C0%80', auth, undefined, 'reject'],
    ['nesting of 10000 arrays', 'POST', '/v1/threads', auth, '['.repeat(10000) + ']'.repeat(10000), 'reject'],
    ['nesting of 10000 objects in metadata', 'POST', '/v1/threads', auth, `{"metadata":${'{"a":'.repeat(10000)}1${'}'.repeat(10000)}}`, 'reject'],
    ['a raw NUL byte inside a string', 'POST', '/v1/threads', auth, '{"metadata":{"k":"a\u0000b"}}', 'reject'],
    ['a raw NUL byte before the body', 'POST', '/v1/threads', auth, '\u0000{}', 'reject'],
    ['duplicate keys, the valid one last', 'POST', '/v1/threads/{t}/messages', auth, '{"role":5,"content":"x","role":"user"}', 'ok'],
    ['duplicate keys, the invalid one last', 'POST', '/v1/threads/{t}/messages', auth, '{"role":"user","content":"x","role":5}', 'reject'],
    ['limit=1e309', 'GET', '/v1/threads/{t}/messages?limit=1e309', auth, undefined, 'reject'],
    ['limit=9007199254740993', 'GET', '/v1/threads/{t}/messages?limit=9007199254740993', auth, undefined, 'reject'],
    ['metadata value 1e400', 'POST', '/v1/threads/{t}/messages/{m}', auth, '{"metadata":{"k":1e400}}', 'reject'],
    ['content of 256001 characters', 'POST', '/v1/threads/{t}/messages', auth, JSON.stringify({ role: 'user', content: 'x'.repeat(256_001) }), 'reject'],
    ['content of 256000 characters', 'POST', '/v1/threads/{t}/messages', auth, JSON.stringify({ role: 'user', content: 'x'.repeat(256_000) }), 'ok'],
    ['cursor of another thread', 'GET', '/v1/threads/{t}/messages?after=msg_000000000000000000000000', auth, undefined, 'reject'],
    ['text/plain body on a modify', 'POST', '/v1/threads/{t}/messages/{m}', { ...auth, 'Content-Type': 'text/plain' }, '{"metadata":{"a":"b"}}', 'reject'],
  ];

  it.each(corpus)('%s: a 2xx only where valid, else a 4xx envelope; never a 5xx', async (_name, method, template, headers, body, expectation) => {
    const path = template.replace('{t}', threadId).replace('{m}', messageId);
    const before = await snapshot(t.db);
    const outcome = await sendRaw(port, { method, path, headers, body, timeoutMs: 15_000 });
    expect(outcome.error).toBeUndefined();
    const response = outcome.response as NonNullable<RawOutcome['response']>;
    const verdict =
      response.status >= 200 && response.status < 300 ? 'ok' : response.status >= 400 && response.status < 500 ? 'reject' : `status ${response.status}`;
    const allowed = expectation === 'either' ? ['ok', 'reject'] : [expectation];
    if (!allowed.includes(verdict))
      throw new Error(`expected ${allowed.map((a) => (a === 'ok' ? '2xx' : '4xx')).join(' or ')}, got ${response.status}: ${response.text.slice(0, 300)}`);
    if (verdict === 'reject') {
      expect(envelopeProblem(response)).toBeUndefined();
      expect(await snapshot(t.db)).toBe(before);
    }
  });

  it('stores metadata keys named like Object members as sent, or refuses them; never drops them silently', async () => {
    const metadata = { constructor: 'a', toString: 'b', hasOwnProperty: 'c', valueOf: 'd', __defineGetter__: 'e', isPrototypeOf: 'f' };
    const requests: [string, string][] = [
      ['create thread', '/v1/threads'],
      ['modify thread', `/v1/threads/${threadId}`],
      ['create message', `/v1/threads/${threadId}/messages`],
      ['modify message', `/v1/threads/${threadId}/messages/${messageId}`],
    ];
    for (const [name, path] of requests) {
      for (const sent of [metadata, { toString: 'b', valueOf: 'd' }]) {
        const body = name === 'create message' ? { role: 'user', content: 'x', metadata: sent } : { metadata: sent };
        const before = await snapshot(t.db);
        const outcome = await sendRaw(port, { method: 'POST', path, headers: auth, body: JSON.stringify(body) });
        const response = outcome.response as NonNullable<RawOutcome['response']>;
        if (response.status === 200) {
          expect([name, (jsonOf(response) as { metadata: unknown }).metadata]).toEqual([name, sent]);
        } else {
          expect([name, response.status, envelopeProblem(response)]).toEqual([name, 400, undefined]);
          expect(await snapshot(t.db)).toBe(before);
        }
      }
    }
  });

  it('refuses an 11 MiB body with 413 in the envelope under the default 10 MiB limit, stores nothing, and keeps serving', async () => {
    const before = await snapshot(t.db);
    const big = Buffer.from(JSON.stringify({ metadata: { a: 'x'.repeat(11 * 1024 * 1024) } }));
    for (const chunked of [false, true]) {
      const outcome = await sendRaw(port, { method: 'POST', path: '/v1/threads', headers: auth, body: big, chunked, timeoutMs: 20_000 });
      expect([chunked, outcome.error?.code ?? outcome.response?.status]).toEqual([chunked, 413]);
      expect(envelopeProblem(outcome.response as NonNullable<RawOutcome['response']>)).toBeUndefined();
    }
    expect(await snapshot(t.db)).toBe(before);
    const after = await sendRaw(port, {
      method: 'POST',
      path: `/v1/threads/${threadId}/messages`,
      headers: auth,
      body: '{"role":"user","content":"still serving"}',
    });
    expect(after.response?.status).toBe(200);
  });
});
