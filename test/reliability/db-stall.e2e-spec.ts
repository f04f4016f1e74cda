import { existsSync } from 'node:fs';
import { Pool } from 'pg';
import { freePort } from '../../src/database/embedded-postgres';
import { elapsed, envelopeProblem, jsonOf, sendRaw } from '../support/reliability/raw-http';
import { TcpRelay } from '../support/reliability/tcp-relay';
import { waitFor, within } from '../support/reliability/wait-for';
import { MAIN, runService, ServiceProcess, waitForOutput } from '../support/service-process';
import { cloneTestDatabase } from '../support/test-database';

/**
 * A partition that fails nothing: the network to PostgreSQL stops carrying bytes but no connection
 * breaks. Readiness still answers 503 within its own limit, and requests are answered 503 or 504
 * in the envelope within the request timeout (4 s here), never left hanging; once the network is
 * back the service recovers by itself.
 */

const KEY = 'sk-stall-0123456789abcdefghijklmnopqrstuvwxyz';
const REQUEST_TIMEOUT_MS = 4000;
const ANSWER_WITHIN_MS = 5000;
const json = { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' };

describe('database partition that stalls without failing', () => {
  let database: Awaited<ReturnType<typeof cloneTestDatabase>>;
  let relay: TcpRelay;
  let service: ServiceProcess;
  let port: number;
  let direct: Pool;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error('dist/main.js is missing: run npm run build first');
    database = await cloneTestDatabase();
    const upstream = new URL(database.url);
    relay = await TcpRelay.start(upstream.hostname, Number(upstream.port || 5432));
    const relayed = new URL(database.url);
    relayed.port = String(relay.port);
    port = await freePort();
    service = runService({
      DATABASE_URL: relayed.toString(),
      API_KEYS: `t:${KEY}`,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      DB_POOL_SIZE: '4',
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    });
    await waitForOutput(service, 'Listening on');
    direct = new Pool({ connectionString: database.url, max: 1 });
  }, 30_000);

  afterAll(async () => {
    if (service && service.child.exitCode === null) {
      service.child.kill('SIGTERM');
      await within(10_000, 'the service to exit', service.exited).catch(() => {
        service.child.kill('SIGKILL');
        return service.exited;
      });
    }
    await relay?.close();
    await direct?.end();
    await database?.drop();
  }, 30_000);

  it('answers readiness and requests in time while stalled, and recovers after', async () => {
    const thread = await sendRaw(port, { method: 'POST', path: '/v1/threads', headers: json, body: '{}' });
    expect(thread.response?.status).toBe(200);
    const threadId = (jsonOf(thread.response) as { id: string }).id;
    const before = await sendRaw(port, { method: 'POST', path: `/v1/threads/${threadId}/messages`, headers: json, body: '{"role":"user","content":"before"}' });
    expect(before.response?.status).toBe(200);

    relay.stall();
    const answers = await Promise.all([
      sendRaw(port, { method: 'GET', path: '/readyz', timeoutMs: 10_000 }),
      sendRaw(port, { method: 'POST', path: `/v1/threads/${threadId}/messages`, headers: json, body: '{"role":"user","content":"during"}', timeoutMs: 10_000 }),
      sendRaw(port, { method: 'GET', path: `/v1/threads/${threadId}/messages`, headers: json, timeoutMs: 10_000 }),
      sendRaw(port, { method: 'GET', path: `/openai/threads/${threadId}?api-version=2024-08-01-preview`, headers: { 'api-key': KEY }, timeoutMs: 10_000 }),
    ]);
    const [readiness, ...requests] = answers;
    expect(readiness.response?.status).toBe(503);
    // Readiness has a limit of its own (2 s), shorter than the request timeout.
    expect(elapsed(readiness)).toBeLessThan(3000);
    for (const answer of requests) {
      expect([503, 504]).toContain(answer.response?.status);
      expect(elapsed(answer)).toBeLessThan(ANSWER_WITHIN_MS + 1000);
      expect(envelopeProblem(answer.response as NonNullable<typeof answer.response>)).toBeUndefined();
    }
    expect(service.child.exitCode).toBeNull();

    await relay.restore();
    await waitFor('/readyz to answer 200 after the partition', async () => (await sendRaw(port, { method: 'GET', path: '/readyz' })).response?.status === 200, {
      timeoutMs: 5000,
    });
    const after = await waitFor(
      'a create to succeed after the partition',
      async () => {
        const outcome = await sendRaw(port, { method: 'POST', path: `/v1/threads/${threadId}/messages`, headers: json, body: '{"role":"user","content":"after"}' });
        return outcome.response?.status === 200 ? outcome : undefined;
      },
      { timeoutMs: 5000 },
    );
    const ids = [before, after].map((outcome) => (jsonOf(outcome.response) as { id: string }).id);
    const stored = await direct.query('SELECT id FROM messages WHERE id = ANY($1)', [ids]);
    expect(stored.rows.map((row) => row.id).sort()).toEqual([...ids].sort());
  }, 40_000);
});
