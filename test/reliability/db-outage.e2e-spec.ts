import { request as httpRequest } from 'node:http';
import { Pool } from 'pg';
import { Load, Sample } from '../support/reliability/load';
import { elapsed, envelopeProblem, jsonOf, RawOutcome, sendRaw } from '../support/reliability/raw-http';
import { CutMode, TcpRelay } from '../support/reliability/tcp-relay';
import { waitFor } from '../support/reliability/wait-for';
import { RelayedService, startRelayedService } from '../support/reliability/relayed-service';
import { ServiceProcess } from '../support/service-process';

/**
 * Database outage: the built service reaches PostgreSQL through a TCP relay that the test cuts
 * (every relayed connection reset, new ones reset or refused) and restores while requests flow.
 * During the outage every request is answered within 5 s with 503 in the error envelope and
 * /readyz is 503; after it the service recovers by itself within 5 s, without a restart; and every
 * message it acknowledged before, during and after is in the database.
 */

const KEY = 'sk-outage-0123456789abcdefghijklmnopqrstuvwxyz';
const ANSWER_WITHIN_MS = 5000;
const RECOVER_WITHIN_MS = 5000;
const WRITERS = 4;

const json = { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' };
const BOUNDARY = 'outageboundary';
const FORM_HEAD =
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n` +
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="during.txt"\r\n\r\n`;
const FORM_TAIL = `\r\n--${BOUNDARY}--\r\n`;
const FORM = { type: `multipart/form-data; boundary=${BOUNDARY}`, body: `${FORM_HEAD}uploaded during the outage${FORM_TAIL}` };

describe('database outage through a TCP relay', () => {
  let relayed: RelayedService;
  let relay: TcpRelay;
  let service: ServiceProcess;
  let port: number;
  let direct: Pool;
  let threadId: string;
  const acknowledged = new Set<string>();

  beforeAll(async () => {
    relayed = await startRelayedService(KEY);
    ({ relay, service, port, direct } = relayed);
    const thread = await sendRaw(port, { method: 'POST', path: '/v1/threads', headers: json, body: '{"metadata":{"test":"outage"}}' });
    expect(thread.response?.status).toBe(200);
    threadId = (jsonOf(thread.response) as { id: string }).id;
  }, 30_000);

  afterAll(() => relayed?.stop(), 30_000);

  const ready = async () => (await sendRaw(port, { method: 'GET', path: '/readyz', timeoutMs: ANSWER_WITHIN_MS + 1000 })).response?.status;
  const describeSample = (s: RawOutcome & { kind?: string }) =>
    `${s.kind ?? ''} after ${elapsed(s)} ms: ${s.response ? `${s.response.status} ${s.response.text.slice(0, 160)}` : `${s.error?.code} ${s.error?.message}`}`;

  /** Creates messages (and reads the list) in closed loops until stopped. */
  function startLoad(tag: string): Load {
    return new Load(port, {
      clients: WRITERS + 1,
      keepAlive: true,
      next: (client, n) =>
        client === WRITERS
          ? { kind: 'list', request: { method: 'GET', path: `/v1/threads/${threadId}/messages?limit=5`, headers: json, timeoutMs: ANSWER_WITHIN_MS + 3000 } }
          : {
              kind: 'create',
              request: {
                method: 'POST',
                path: `/v1/threads/${threadId}/messages`,
                headers: json,
                body: JSON.stringify({ role: 'user', content: `${tag} writer ${client} #${n}` }),
                timeoutMs: ANSWER_WITHIN_MS + 3000,
              },
            },
    }).start();
  }

  /** One request of every kind the API has, during the outage. */
  async function probeEveryRoute(messageId: string): Promise<[string, RawOutcome][]> {
    const routes: [string, string, string, string | undefined, Record<string, string>][] = [
      ['create thread', 'POST', '/v1/threads', '{}', json],
      ['create thread with messages', 'POST', '/v1/threads', '{"messages":[{"role":"user","content":"x"}]}', json],
      ['create thread (Azure)', 'POST', '/openai/threads?api-version=2024-08-01-preview', '{}', { 'api-key': KEY, 'Content-Type': 'application/json' }],
      ['retrieve thread', 'GET', `/v1/threads/${threadId}`, undefined, json],
      ['modify thread', 'POST', `/v1/threads/${threadId}`, '{"metadata":{"a":"b"}}', json],
      ['create message', 'POST', `/v1/threads/${threadId}/messages`, '{"role":"user","content":"during"}', json],
      [
        'create message with Idempotency-Key',
        'POST',
        `/v1/threads/${threadId}/messages`,
        '{"role":"user","content":"during"}',
        { ...json, 'Idempotency-Key': `outage-${Date.now()}` },
      ],
      ['list messages', 'GET', `/v1/threads/${threadId}/messages?order=asc&after=${messageId}`, undefined, json],
      ['retrieve message', 'GET', `/v1/threads/${threadId}/messages/${messageId}`, undefined, json],
      ['modify message', 'POST', `/v1/threads/${threadId}/messages/${messageId}`, '{"metadata":{"a":"b"}}', json],
      ['list message files (v1)', 'GET', `/v1/threads/${threadId}/messages/${messageId}/files`, undefined, { ...json, 'OpenAI-Beta': 'assistants=v1' }],
      ['delete message', 'DELETE', `/v1/threads/${threadId}/messages/msg_doesnotexist000000000000`, undefined, json],
      ['delete thread', 'DELETE', '/v1/threads/thread_doesnotexist000000000000', undefined, json],
      ['upload file', 'POST', '/v1/files', FORM.body, { Authorization: `Bearer ${KEY}`, 'Content-Type': FORM.type }],
      ['list files', 'GET', '/v1/files', undefined, json],
      ['retrieve file', 'GET', '/v1/files/file-doesnotexist000000000000', undefined, json],
      ['file content', 'GET', '/v1/files/file-doesnotexist000000000000/content', undefined, json],
      ['delete file', 'DELETE', '/v1/files/file-doesnotexist000000000000', undefined, json],
      ['readyz', 'GET', '/readyz', undefined, {}],
    ];
    const results: [string, RawOutcome][] = [];
    for (const [name, method, path, body, headers] of routes) {
      results.push([name, await sendRaw(port, { method, path, headers, body, timeoutMs: ANSWER_WITHIN_MS + 3000 })]);
    }
    return results;
  }

  async function outage(mode: CutMode): Promise<void> {
    const pid = service.child.pid;
    const load = startLoad(mode);
    try {
      await waitFor('20 acknowledged messages before the cut', () => load.ok('create').length >= 20, { timeoutMs: 15_000 });
      const anyMessage = load.ok('create')[0].id as string;

      const cutAt = Date.now();
      await relay.cut(mode);
      const cutDone = Date.now();

      // Readiness fails within the bound.
      await waitFor('/readyz to answer 503', async () => (await ready()) === 503, { timeoutMs: ANSWER_WITHIN_MS });
      const notReadyAfter = Date.now() - cutAt;

      // Requests keep flowing and are answered; every kind of request gets the 503 envelope.
      await waitFor(
        'every writer to be answered 503 ten times during the outage',
        () => {
          const during = load.samples.filter((s) => s.kind === 'create' && s.startedAt >= cutDone && s.response?.status === 503);
          const perWriter = new Map<number, number>();
          for (const s of during) perWriter.set(s.client, (perWriter.get(s.client) ?? 0) + 1);
          return perWriter.size === WRITERS && [...perWriter.values()].every((n) => n >= 10);
        },
        { timeoutMs: 15_000 },
      );
      const probes = await probeEveryRoute(anyMessage);
      const probesDone = Date.now();

      const restoredAt = Date.now();
      await relay.restore();
      const readyAgain = await waitFor('/readyz to answer 200 after the restore', async () => ((await ready()) === 200 ? Date.now() : undefined), {
        timeoutMs: RECOVER_WITHIN_MS,
      });
      const ackedAfter = () => load.ok('create').filter((s) => s.startedAt >= readyAgain).length;
      await waitFor('20 acknowledged messages after the restore', () => ackedAfter() >= 20, { timeoutMs: 15_000 });
      await load.stop();

      for (const sample of load.ok('create')) acknowledged.add(sample.id as string);
      for (const [name, outcome] of probes) {
        if (name.startsWith('create message') && outcome.response?.status === 200) acknowledged.add((jsonOf(outcome.response) as { id: string }).id);
      }
      console.log(
        `outage (${mode}): ${load.samples.length} requests, ${load.ok().length} successes; /readyz 503 ${notReadyAfter} ms after the cut, ` +
          `200 ${readyAgain - restoredAt} ms after the restore; relay turned away ${relay.refused} connections`,
      );

      // No crash, no restart.
      expect(service.child.exitCode).toBeNull();
      expect(service.child.pid).toBe(pid);

      // Every request was answered within the bound, with a success or a 503 envelope.
      const problems: string[] = [];
      const check = (name: string, s: RawOutcome, during: boolean) => {
        if (!s.response) return problems.push(`${name}: no answer (${describeSample(s)})`);
        if (elapsed(s) > ANSWER_WITHIN_MS) problems.push(`${name}: answered after ${elapsed(s)} ms`);
        const status = s.response.status;
        if (status !== 200 && status !== 503) problems.push(`${name}: ${describeSample(s)}`);
        if (during && status !== 503) problems.push(`${name}: ${status} while the database was cut`);
        if (status === 503) {
          const problem = envelopeProblem(s.response);
          const code = (jsonOf(s.response) as { error?: { code?: unknown } } | undefined)?.error?.code;
          if (problem) problems.push(`${name}: 503 without the envelope: ${problem}`);
          else if (code !== 'service_unavailable') problems.push(`${name}: 503 with code ${String(code)}`);
        }
      };
      for (const s of load.samples as Sample[]) check(`load ${s.kind}`, s, s.startedAt >= cutDone && s.endedAt <= restoredAt);
      for (const [name, outcome] of probes) check(`probe ${name}`, outcome, outcome.endedAt <= probesDone);
      // Once ready again, everything succeeds.
      for (const s of load.samples.filter((x) => x.startedAt >= readyAgain)) {
        if (s.response?.status !== 200) problems.push(`after recovery: ${describeSample(s)}`);
      }
      expect(problems.slice(0, 20)).toEqual([]);
      expect(readyAgain - restoredAt).toBeLessThanOrEqual(RECOVER_WITHIN_MS);
    } finally {
      await load.stop();
      await relay.restore();
    }
  }

  it('cut by resetting every connection: 503 envelopes within 5 s, /readyz 503, recovery within 5 s of the restore', async () => {
    await outage('reset');
  }, 60_000);

  it('cut by refusing connections (nothing listens): the same, and the service recovers by itself again', async () => {
    await outage('refuse');
  }, 60_000);

  it('answers an upload whose database goes away midway with 503, and stores none of it', async () => {
    const { rows: before } = await direct.query('SELECT (SELECT count(*) FROM files)::int AS files, (SELECT count(*) FROM file_chunks)::int AS chunks');
    const first = Buffer.alloc(3 * 1024 * 1024 + 10, 1);
    const rest = Buffer.alloc(2 * 1024 * 1024, 2);
    const length = Buffer.byteLength(FORM_HEAD) + first.length + rest.length + Buffer.byteLength(FORM_TAIL);
    const upload = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/v1/files',
      headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': FORM.type, 'Content-Length': String(length) },
    });
    const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
      upload.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      });
      upload.on('error', reject);
    });
    upload.write(FORM_HEAD);
    upload.write(first);
    // The upload's transaction has stored chunks (uncommitted) when the database goes away.
    await waitFor(
      'the upload to have stored chunks in its transaction',
      async () =>
        (
          await direct.query(
            `SELECT count(*) > 0 AS ok FROM pg_stat_activity WHERE datname = current_database() ` +
              `AND state = 'idle in transaction' AND query LIKE '%INSERT INTO file_chunks%'`,
          )
        ).rows[0].ok,
      { timeoutMs: 15_000 },
    );
    await relay.cut('reset');
    try {
      upload.end(Buffer.concat([rest, Buffer.from(FORM_TAIL)]));
      const answer = await answered;
      expect([answer.status, answer.text]).toEqual([503, expect.stringContaining('"code":"service_unavailable"')]);
    } finally {
      await relay.restore();
    }
    await waitFor('/readyz to answer 200 after the restore', async () => (await ready()) === 200, { timeoutMs: RECOVER_WITHIN_MS });
    // The transaction died with its connection: no session of it is left, and none of its rows.
    await waitFor(
      'the upload transaction to be gone',
      async () =>
        (
          await direct.query(
            `SELECT count(*) = 0 AS ok FROM pg_stat_activity WHERE datname = current_database() ` +
              `AND query LIKE '%INSERT INTO file_chunks%' AND state LIKE '%in transaction%'`,
          )
        ).rows[0].ok,
      { timeoutMs: 15_000 },
    );
    const { rows: after } = await direct.query('SELECT (SELECT count(*) FROM files)::int AS files, (SELECT count(*) FROM file_chunks)::int AS chunks');
    expect(after).toEqual(before);
    // The service, never restarted, stores the next upload whole.
    const next = await sendRaw(port, {
      method: 'POST',
      path: '/v1/files',
      headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': FORM.type },
      body: FORM.body,
    });
    expect(next.response?.status).toBe(200);
    const id = (jsonOf(next.response) as { id: string }).id;
    const content = await sendRaw(port, { method: 'GET', path: `/v1/files/${id}/content`, headers: json });
    expect(content.response?.text).toBe('uploaded during the outage');
    expect(service.child.exitCode).toBeNull();
  }, 60_000);

  it('keeps every message it acknowledged before, during and after the outages', async () => {
    expect(acknowledged.size).toBeGreaterThan(80);
    const ids = [...acknowledged];
    const { rows } = await direct.query<{ id: string }>('SELECT id FROM messages WHERE thread_id = $1 AND id = ANY($2)', [threadId, ids]);
    const stored = new Set(rows.map((row) => row.id));
    expect(ids.filter((id) => !stored.has(id))).toEqual([]);
    // And the service, never restarted, serves them.
    const sample = ids.filter((_, i) => i % Math.ceil(ids.length / 25) === 0);
    for (const id of sample) {
      const got = await sendRaw(port, { method: 'GET', path: `/v1/threads/${threadId}/messages/${id}`, headers: json });
      expect([id, got.response?.status]).toEqual([id, 200]);
    }
    expect(service.child.exitCode).toBeNull();
  });
});
