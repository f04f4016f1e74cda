import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT as EXPORT_EXIT, runExportCommand } from '../src/cli/export';
import { EXIT, runImportCommand } from '../src/cli/import';
import { Fault, FaultyProxy } from './support/faulty-proxy';
import { AZURE_V2 } from './support/sdk-clients';
import { bearer, KEY_A, KEY_B, snapshot, startTestApp, TestApp } from './support/test-app';

/**
 * npm run import -- --from-endpoint: a second instance, started here on its own database, is the
 * source; every thread and message the import writes is compared field by field with what the source
 * answers, in both dialects. Re-runs change nothing; a source that fails requests (429, 500, dropped
 * connections) is retried; a thread the source does not have fails alone.
 */

let source: TestApp & { url?: string };
const targets: TestApp[] = [];
let dir: string;

const run = async (args: string[], databaseUrl: string) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runImportCommand(args, { out: (text) => out.push(text), err: (text) => err.push(text) }, { DATABASE_URL: databaseUrl });
  return { code, out: out.join('\n'), err: err.join('\n') };
};

async function target(): Promise<TestApp> {
  const app = await startTestApp();
  targets.push(app);
  return app;
}

type Json = Record<string, unknown>;

/** Every page of a list, `order=asc`, as the API answers it. */
async function all(app: TestApp, key: string, path: string): Promise<Json[]> {
  const items: Json[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await app.http
      .get(path)
      .set(bearer(key))
      .query({ limit: '100', order: 'asc', ...(after ? { after } : {}) });
    expect(page.status).toBe(200);
    items.push(...page.body.data);
    if (!page.body.has_more) return items;
    after = page.body.last_id;
  }
}

/** Every thread of the key's tenant (retrieved one by one) with all its messages: v2 objects, every field. */
async function everything(app: TestApp, key: string): Promise<{ thread: Json; messages: Json[] }[]> {
  const result = [];
  for (const listed of await all(app, key, '/v1/threads')) {
    const thread = await app.http.get(`/v1/threads/${listed.id}`).set(bearer(key));
    expect(thread.body).toEqual(listed);
    result.push({ thread: thread.body, messages: await all(app, key, `/v1/threads/${listed.id}/messages`) });
  }
  return result;
}

/** The tenant's export: every stored field of every thread and message, in their order. */
async function exported(app: TestApp, tenant: string): Promise<string> {
  const file = join(dir, `export-${tenant}-${Math.random().toString(36).slice(2)}.jsonl`);
  const code = await runExportCommand(['--tenant', tenant, '--out', file], { out: () => undefined, err: () => undefined }, { DATABASE_URL: app.databaseUrl });
  expect(code).toBe(EXPORT_EXIT.ok);
  return readFileSync(file, 'utf8');
}

const T0 = 1700000000;

/** Every kind of message the API shows: roles, content parts, attachments, runs, statuses, metadata. */
function message(threadId: string, i: number, createdAt: number): Json {
  const base = {
    object: 'thread.message',
    id: `msg_${threadId.slice('thread_'.length)}_${String(i).padStart(3, '0')}`,
    thread_id: threadId,
    created_at: createdAt,
    role: 'user',
    content: [{ type: 'text', text: { value: `message ${i} ünïcödé 🙂`, annotations: [] } }],
    attachments: [],
    assistant_id: null,
    run_id: null,
    status: 'completed',
    incomplete_details: null,
    completed_at: createdAt,
    incomplete_at: null,
    metadata: { i: String(i) },
  };
  switch (i % 5) {
    case 0:
      return { ...base, attachments: [{ file_id: `file-${i}`, tools: [{ type: 'file_search' }, { type: 'code_interpreter' }] }] };
    case 1:
      return {
        ...base,
        role: 'assistant',
        assistant_id: 'asst_abc',
        run_id: `run_${i}`,
        content: [
          {
            type: 'text',
            text: {
              value: 'see 【4:0†source】',
              annotations: [{ type: 'file_citation', text: '【4:0†source】', file_citation: { file_id: 'file-cited' }, start_index: 4, end_index: 16 }],
            },
          },
        ],
        metadata: {},
      };
    case 2:
      return {
        ...base,
        role: 'assistant',
        assistant_id: 'asst_abc',
        run_id: `run_${i}`,
        status: 'incomplete',
        incomplete_details: { reason: 'max_tokens' },
        completed_at: null,
        incomplete_at: createdAt + 3,
      };
    case 3:
      return { ...base, content: [{ type: 'image_file', image_file: { file_id: `file-img-${i}`, detail: 'low' } }, base.content[0]] };
    default:
      return { ...base, content: [{ type: 'image_url', image_url: { url: `https://example.com/${i}.png`, detail: 'high' } }] };
  }
}

/** 101 threads (more than a page of the thread list), one with 230 messages (three pages), several created in the same second. */
function sourceFile(): string {
  const lines: Json[] = [];
  const big = 'thread_big';
  lines.push({
    object: 'thread',
    id: big,
    created_at: T0,
    metadata: { size: 'big' },
    tool_resources: { code_interpreter: { file_ids: ['file-ci'] }, file_search: { vector_store_ids: ['vs_1'] } },
  });
  for (let i = 0; i < 230; i++) lines.push(message(big, i, T0 + Math.floor(i / 50)));
  for (let t = 0; t < 100; t++) {
    const id = `thread_s${String(t).padStart(3, '0')}`;
    lines.push({ object: 'thread', id, created_at: T0 + 10 + (t % 7), metadata: t % 2 ? { t: String(t) } : {}, tool_resources: {} });
    for (let i = 0; i < t % 4; i++) lines.push(message(id, i + t, T0 + 20));
  }
  return lines.map((line) => JSON.stringify(line)).join('\n') + '\n';
}

let alphaThreads = 0;
let alphaMessages = 0;
const betaIds: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'import-endpoint-'));
  source = await startTestApp({ listen: true });
  writeFileSync(join(dir, 'source.jsonl'), sourceFile());
  expect((await run(['--tenant', 'alpha', '--in', join(dir, 'source.jsonl')], source.databaseUrl)).code).toBe(EXIT.ok);
  // And threads made through the API: ids, times and order as the service makes them.
  const made = await source.http
    .post('/v1/threads')
    .set(bearer(KEY_A))
    .send({
      metadata: { made: 'api' },
      tool_resources: { code_interpreter: { file_ids: ['file-1'] } },
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: [{ type: 'text', text: 'second' }], metadata: { k: 'v' } },
        { role: 'user', content: 'third', attachments: [{ file_id: 'file-2', tools: [{ type: 'code_interpreter' }] }] },
      ],
    });
  expect(made.status).toBe(200);
  for (let i = 0; i < 3; i++) {
    const beta = await source.http
      .post('/v1/threads')
      .set(bearer(KEY_B))
      .send({ messages: [{ role: 'user', content: `beta ${i}` }] });
    betaIds.push(beta.body.id);
  }
  const alpha = await everything(source, KEY_A);
  alphaThreads = alpha.length;
  alphaMessages = alpha.reduce((sum, { messages }) => sum + messages.length, 0);
  expect([alphaThreads, alphaMessages]).toEqual([102, 230 + 150 + 3]);
});

afterAll(async () => {
  for (const app of targets) await app.close();
  await source?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('import --from-endpoint', () => {
  let openaiTarget: TestApp;

  it('openai dialect: lists the threads (GET /threads) and imports every thread and message as the source has them', async () => {
    openaiTarget = await target();
    const result = await run(['--tenant', 'alpha', '--from-endpoint', `${source.url}/v1`, '--dialect', 'openai', '--key', KEY_A], openaiTarget.databaseUrl);
    expect(result).toMatchObject({
      code: EXIT.ok,
      out: `Imported ${alphaThreads} thread(s) with ${alphaMessages} message(s); 0 already there (verified, skipped); 0 failed.`,
    });
    // Plain progress lines without a terminal, every 10 threads, and the last count.
    expect(result.err.split('\n')).toEqual([
      ...Array.from({ length: 10 }, (_, i) => expect.stringMatching(new RegExp(`^${(i + 1) * 10}/\\d+\\+? thread\\(s\\) \\(`))),
      `${alphaThreads}/${alphaThreads} thread(s) (${alphaThreads} imported, 0 already there, 0 failed), ${alphaMessages} message(s)`,
    ]);
    expect(await everything(openaiTarget, KEY_A)).toEqual(await everything(source, KEY_A));
    // Every stored field, in order (the export writes them all), and nothing of the other tenant.
    expect(await exported(openaiTarget, 'alpha')).toEqual(await exported(source, 'alpha'));
    expect(await everything(openaiTarget, KEY_B)).toEqual([]);
  });

  it('a re-run verifies every thread against the source, skips it and changes nothing', async () => {
    const before = await snapshot(openaiTarget.db);
    const result = await run(
      ['--tenant', 'alpha', '--from-endpoint', `${source.url}/v1/`, '--dialect', 'openai', '--key', KEY_A, '--concurrency', '7'],
      openaiTarget.databaseUrl,
    );
    expect(result).toMatchObject({
      code: EXIT.ok,
      out: `Imported 0 thread(s) with 0 message(s); ${alphaThreads} already there (verified, skipped); 0 failed.`,
    });
    expect(await snapshot(openaiTarget.db)).toBe(before);

    // A message changed at the source since: its thread is reported, and left as it was.
    const changed = await source.http
      .post('/v1/threads/thread_s001/messages/msg_s001_001')
      .set(bearer(KEY_A))
      .send({ metadata: { i: 'changed' } });
    expect(changed.status).toBe(200);
    const again = await run(['--tenant', 'alpha', '--from-endpoint', `${source.url}/v1`, '--dialect', 'openai', '--key', KEY_A], openaiTarget.databaseUrl);
    expect(again).toMatchObject({
      code: EXIT.failure,
      out:
        `Imported 0 thread(s) with 0 message(s); ${alphaThreads - 1} already there (verified, skipped); 1 failed.\n` +
        '  failed thread_s001: already imported, and message msg_s001_001 differs from the source',
    });
    expect(await snapshot(openaiTarget.db)).toBe(before);
  });

  it('is atomic per thread: a thread whose messages the source answers wrongly on a later page fails alone, nothing of it stored', async () => {
    const proxy = new FaultyProxy(source.url!, (request): Fault => {
      if (!/^\/v1\/threads\/thread_big\/messages\?.*after=/.test(request.url ?? '')) return 'pass';
      const bad = { ...message('thread_big', 7, T0), id: 'msg_big_bad', role: 'robot' };
      return { status: 200, body: { object: 'list', data: [bad], first_id: bad.id, last_id: bad.id, has_more: false } };
    });
    const url = await proxy.start();
    try {
      const partial = await target();
      writeFileSync(join(dir, 'big-and-small.txt'), 'thread_big\nthread_s003\n');
      const result = await run(
        ['--tenant', 'alpha', '--from-endpoint', `${url}/v1`, '--dialect', 'openai', '--key', KEY_A, '--threads', join(dir, 'big-and-small.txt')],
        partial.databaseUrl,
      );
      expect(result).toMatchObject({
        code: EXIT.failure,
        out:
          'Imported 1 thread(s) with 3 message(s); 0 already there (verified, skipped); 1 failed.\n' +
          "  failed thread_big: message 101: 'role' is neither 'user' nor 'assistant'",
      });
      const { rows } = await partial.db.query(`SELECT (SELECT count(*)::int FROM threads) AS threads, (SELECT count(*)::int FROM messages) AS messages`);
      expect(rows[0]).toEqual({ threads: 1, messages: 3 });
    } finally {
      await proxy.close();
    }
  });

  it('azure dialect with an api-version: the same threads and messages, field by field', async () => {
    const azureTarget = await target();
    const result = await run(
      ['--tenant', 'alpha', '--from-endpoint', source.url!, '--dialect', 'azure', '--api-version', AZURE_V2, '--key', KEY_A, '--concurrency', '2'],
      azureTarget.databaseUrl,
    );
    expect(result).toMatchObject({
      code: EXIT.ok,
      out: `Imported ${alphaThreads} thread(s) with ${alphaMessages} message(s); 0 already there (verified, skipped); 0 failed.`,
    });
    expect(await everything(azureTarget, KEY_A)).toEqual(await everything(source, KEY_A));
    expect(await exported(azureTarget, 'alpha')).toEqual(await exported(source, 'alpha'));

    // --threads FILE: a thread the source does not have fails with the reason; the others import.
    writeFileSync(join(dir, 'beta-ids.txt'), [betaIds[0], 'thread_nowhere', '', betaIds[1], betaIds[0], betaIds[2]].join('\n') + '\n');
    const beta = await run(
      ['--tenant', 'beta', '--from-endpoint', source.url!, '--dialect', 'azure', '--key', KEY_B, '--threads', join(dir, 'beta-ids.txt')],
      azureTarget.databaseUrl,
    );
    expect(beta.code).toBe(EXIT.failure);
    expect(beta.out).toBe(
      'Imported 3 thread(s) with 3 message(s); 0 already there (verified, skipped); 1 failed.\n' +
        "  failed thread_nowhere: not found at the source (404 No thread found with id 'thread_nowhere'.)",
    );
    expect(beta.err).toContain("failed thread_nowhere: not found at the source (404 No thread found with id 'thread_nowhere'.)");
    expect(await everything(azureTarget, KEY_B)).toEqual(await everything(source, KEY_B));
  });

  it('a source that answers 429 and 500 or drops connections is retried (Retry-After honoured), with at most --concurrency requests at once', async () => {
    let n = 0;
    const proxy = new FaultyProxy(source.url!, (request, attempt): Fault => {
      if (attempt > 0) return 'pass';
      const index = n++;
      // The first page of the thread list: come back in a second.
      if (index === 0) return { status: 429, headers: { 'retry-after': '1' } };
      if (index % 10 === 3) return { status: 500 };
      if (index % 10 === 6) return { status: 429, headers: { 'retry-after-ms': '20' } };
      if (index % 10 === 9) return 'drop';
      if (index % 10 === 8) return { status: 503, headers: { 'retry-after': '0' } };
      return 'pass';
    });
    const url = await proxy.start();
    try {
      const retried = await target();
      const result = await run(
        ['--tenant', 'alpha', '--from-endpoint', `${url}/v1`, '--dialect', 'openai', '--key', KEY_A, '--concurrency', '3'],
        retried.databaseUrl,
      );
      expect(result).toMatchObject({
        code: EXIT.ok,
        out: `Imported ${alphaThreads} thread(s) with ${alphaMessages} message(s); 0 already there (verified, skipped); 0 failed.`,
      });
      expect(await exported(retried, 'alpha')).toEqual(await exported(source, 'alpha'));
      // The files the messages name (GET /files/{id}, to copy them): the source has none of them, and says so.
      const aFile = (entry: { url: string }) => entry.url.includes('/files/');
      const failedFirst = proxy.log.filter((entry) => entry.attempt === 0 && entry.outcome !== 200 && !(aFile(entry) && entry.outcome === 404));
      expect(new Set(failedFirst.map((entry) => entry.outcome))).toEqual(new Set([429, 500, 503, 'drop']));
      // Every failed request came again, and then went through.
      for (const failed of failedFirst) {
        const retries = proxy.log.filter((entry) => entry.method === failed.method && entry.url === failed.url && entry.attempt > 0);
        expect(retries.map((entry) => entry.outcome)).toEqual([aFile(failed) ? 404 : 200]);
      }
      const listRetry = proxy.log.find((entry) => entry.url === proxy.log[0].url && entry.attempt === 1);
      expect(listRetry!.at - proxy.log[0].at).toBeGreaterThanOrEqual(990);
      expect(proxy.maxInFlight).toBeLessThanOrEqual(3);
    } finally {
      await proxy.close();
    }
  });

  it('an endpoint that cannot list threads: a clear message, exit 1, nothing written', async () => {
    const proxy = new FaultyProxy(source.url!, (request) =>
      /^\/v1\/threads(\?|$)/.test(request.url ?? '')
        ? { status: 404, body: { error: { message: 'Invalid URL (GET /v1/threads)', type: 'invalid_request_error', param: null, code: null } } }
        : 'pass',
    );
    const url = await proxy.start();
    try {
      const empty = await target();
      const before = await snapshot(empty.db);
      const result = await run(['--tenant', 'alpha', '--from-endpoint', `${url}/v1`, '--dialect', 'openai', '--key', KEY_A], empty.databaseUrl);
      expect(result.code).toBe(EXIT.failure);
      expect(result.err).toBe(
        `Error: ${url}/v1 cannot list threads (GET /threads answered 404 Invalid URL (GET /v1/threads)): the OpenAI and Azure OpenAI APIs ` +
          'have no thread list; name the threads to import in a file, one id a line, and pass it with --threads FILE',
      );
      expect(await snapshot(empty.db)).toBe(before);
      // With the ids listed, the same endpoint serves them.
      writeFileSync(join(dir, 'one.txt'), `${betaIds[0]}\n`);
      const listed = await run(
        ['--tenant', 'beta', '--from-endpoint', `${url}/v1`, '--dialect', 'openai', '--key', KEY_B, '--threads', join(dir, 'one.txt')],
        empty.databaseUrl,
      );
      expect(listed).toMatchObject({ code: EXIT.ok, out: 'Imported 1 thread(s) with 1 message(s); 0 already there (verified, skipped); 0 failed.' });
    } finally {
      await proxy.close();
    }
  });

  it('a key the source refuses stops the import: exit 1, the reason given', async () => {
    writeFileSync(join(dir, 'two.txt'), `${betaIds[1]}\n${betaIds[2]}\n`);
    const refused = await run(
      [
        '--tenant',
        'beta',
        '--from-endpoint',
        `${source.url}/v1`,
        '--dialect',
        'openai',
        '--key',
        'sk-wrong',
        '--threads',
        join(dir, 'two.txt'),
        '--concurrency',
        '1',
      ],
      openaiTarget.databaseUrl,
    );
    expect(refused.code).toBe(EXIT.failure);
    expect(refused.out).toMatch(
      /^Imported 0 thread\(s\) with 0 message\(s\); 0 already there \(verified, skipped\); 1 failed\.\n {2}failed thread_\w+: the source answered 401 /,
    );
    expect(refused.err).toMatch(/Error: stopped before the end: the source refused the key: 401 /);
    const listing = await run(
      ['--tenant', 'beta', '--from-endpoint', `${source.url}/v1`, '--dialect', 'openai', '--key', 'sk-wrong'],
      openaiTarget.databaseUrl,
    );
    expect(listing.code).toBe(EXIT.failure);
    expect(listing.err).toMatch(new RegExp(`^Error: listing the threads of ${source.url}/v1 failed: the source answered 401 `));
  });

  it('refuses bad arguments with exit code 2 and says why', async () => {
    const usage = async (args: string[]) => {
      const result = await run(['--tenant', 'alpha', ...args], openaiTarget.databaseUrl);
      expect(result.code).toBe(EXIT.usage);
      return result.err.split('\n')[0];
    };
    const endpoint = ['--from-endpoint', `${source.url}/v1`];
    expect(await usage([...endpoint, '--dialect', 'openai'])).toBe('Error: --key KEY is required: an API key of the endpoint');
    expect(await usage([...endpoint, '--dialect', 'google', '--key', KEY_A])).toBe("Error: --dialect openai|azure is required ('google' is neither)");
    expect(await usage([...endpoint, '--key', KEY_A])).toBe('Error: --dialect openai|azure is required');
    expect(await usage(['--in', 'x.jsonl', ...endpoint, '--dialect', 'openai', '--key', KEY_A])).toBe(
      'Error: --in and --from-endpoint exclude each other: import a file or an endpoint',
    );
    expect(await usage(['--in', 'x.jsonl', '--key', KEY_A])).toBe('Error: --key goes with --from-endpoint');
    expect(await usage([])).toBe('Error: --in FILE.jsonl or --from-endpoint URL is required');
    expect(await usage(['--from-endpoint', 'ftp://x', '--dialect', 'openai', '--key', KEY_A])).toBe(
      "Error: --from-endpoint takes an http or https URL, not 'ftp://x'",
    );
    expect(await usage([...endpoint, '--dialect', 'openai', '--key', KEY_A, '--api-version', AZURE_V2])).toBe('Error: --api-version goes with --dialect azure');
    expect(await usage([...endpoint, '--dialect', 'azure', '--key', KEY_A, '--api-version', '2024-02-15-preview'])).toMatch(
      /^Error: --api-version 2024-02-15-preview shows messages in the v1 shape/,
    );
    expect(await usage([...endpoint, '--dialect', 'openai', '--key', KEY_A, '--concurrency', '0'])).toBe('Error: --concurrency takes an integer from 1 to 64');
    writeFileSync(join(dir, 'bad-ids.txt'), 'thread_ok\nnot an id\n');
    expect(await usage([...endpoint, '--dialect', 'openai', '--key', KEY_A, '--threads', join(dir, 'bad-ids.txt')])).toBe(
      `Error: ${join(dir, 'bad-ids.txt')}: 'not an id' is not a thread id`,
    );
  });
});
