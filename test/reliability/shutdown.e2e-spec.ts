import { existsSync } from 'node:fs';
import { Pool, PoolClient } from 'pg';
import { portForLater } from '../support/ports';
import { Load, Sample } from '../support/reliability/load';
import { envelopeProblem, jsonOf, RawOutcome, sendRaw, startPartialRequest } from '../support/reliability/raw-http';
import { waitFor, within } from '../support/reliability/wait-for';
import { MAIN, runService, ServiceProcess, waitForOutput } from '../support/service-process';
import { cloneTestDatabase, testPool } from '../support/test-database';

/**
 * SIGTERM under steady load, on the built service (dist/main.js). Clients each keep one
 * kept-alive connection and send their next request as soon as the previous one is answered.
 *
 * "Accepted" here: a request that was completely written before the signal was sent, or that got
 * response headers. Every accepted request must end in a complete non-5xx response; a reset
 * connection or a 5xx for one of them is a failure. A request written after the signal that
 * could not connect (ECONNREFUSED) or whose idle connection was closed before it was read
 * (ECONNRESET without response headers) was never accepted, and is fine.
 *
 * Also: /readyz answers 503 while draining, responses carry `Connection: close` once draining, a
 * request blocked in the database when the signal arrives still completes, the process exits
 * within 10 s with code 0, and every acknowledged write is there after a restart.
 */

const KEY = 'sk-shutdown-0123456789abcdefghijklmnopqrstuvwxyz';
const EXIT_WITHIN_MS = 10_000;
const CLIENTS = 8;
const json = { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' };

describe('SIGTERM under load', () => {
  let database: Awaited<ReturnType<typeof cloneTestDatabase>>;
  let direct: Pool;
  let env: NodeJS.ProcessEnv;
  let port: number;
  const services: ServiceProcess[] = [];

  async function start(): Promise<ServiceProcess> {
    const service = runService(env);
    services.push(service);
    await waitForOutput(service, 'Listening on');
    return service;
  }

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error('dist/main.js is missing: run npm run build first');
    database = await cloneTestDatabase();
    direct = testPool(database.url, 3);
    port = await portForLater();
    env = { DATABASE_URL: database.url, API_KEYS: `t:${KEY}`, PORT: String(port), HOST: '127.0.0.1', MIGRATIONS_RUN: 'true', LOG_LEVEL: 'warn' };
  });

  afterAll(async () => {
    for (const service of services) {
      if (service.child.exitCode === null && service.child.signalCode === null) {
        service.child.kill('SIGKILL');
        await service.exited;
      }
    }
    await direct?.end();
    await database?.drop();
  });

  it('finishes accepted requests, refuses none with a 5xx or a reset, exits within 10 s, and keeps every acknowledged write', async () => {
    const service = await start();
    const create = async (body: object) => {
      const outcome = await sendRaw(port, { method: 'POST', path: '/v1/threads', headers: json, body: JSON.stringify(body) });
      expect(outcome.response?.status).toBe(200);
      return (jsonOf(outcome.response) as { id: string }).id;
    };
    const threadId = await create({ metadata: { role: 'load' } });
    const lockedThreadId = await create({ metadata: { role: 'blocked' } });

    let signalAt = Infinity;
    const load = new Load(port, {
      clients: CLIENTS,
      keepAlive: true,
      next: (client, n) =>
        client % 4 === 3
          ? { kind: 'list', request: { method: 'GET', path: `/v1/threads/${threadId}/messages?limit=3`, headers: json, timeoutMs: 15_000 } }
          : {
              kind: 'create',
              request: {
                method: 'POST',
                path: `/v1/threads/${threadId}/messages`,
                headers: json,
                body: JSON.stringify({ role: 'user', content: `client ${client} #${n}` }),
                timeoutMs: 15_000,
              },
            },
      // Once the signal is sent, a client stops at its first connection error (the service is going away).
      stopAfter: (sample) => sample.startedAt >= signalAt && sample.error !== undefined,
    }).start();

    let locker: PoolClient | undefined;
    try {
      await waitFor('200 acknowledged writes under load', () => load.ok('create').length >= 200, { timeoutMs: 20_000 });

      // A connection with a request in progress (headers not finished) when the signal arrives.
      const partial = await startPartialRequest(port, `GET /readyz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);

      // A request that is in flight, blocked on a row lock, when the signal arrives.
      locker = await direct.connect();
      await locker.query('BEGIN');
      await locker.query('SELECT id FROM threads WHERE id = $1 FOR UPDATE', [lockedThreadId]);
      const blocked = sendRaw(port, {
        method: 'POST',
        path: `/v1/threads/${lockedThreadId}`,
        headers: json,
        body: '{"metadata":{"finished":"during drain"}}',
        timeoutMs: 20_000,
      });
      await waitFor(
        'the modify to wait on the row lock',
        async () => {
          const { rows } = await direct.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`, [
            database.name,
          ]);
          return rows[0].n > 0;
        },
        { timeoutMs: 10_000 },
      );

      signalAt = Date.now();
      service.child.kill('SIGTERM');
      // Draining has begun once a new connection is refused or /readyz says 503.
      const drainSeenAt = await waitFor(
        'the service to start draining',
        async () => {
          const probe = await sendRaw(port, { method: 'GET', path: '/readyz', timeoutMs: 5000 });
          return probe.response?.status === 503 || probe.error?.code === 'ECONNREFUSED' ? Date.now() : undefined;
        },
        { timeoutMs: 5000, intervalMs: 5 },
      );

      // Readiness fails while draining, on a connection the server had already accepted.
      const readyz = await partial.complete('\r\n');
      partial.destroy();

      // The clients finish what they sent and find the service gone; meanwhile the blocked request keeps the drain going.
      await within(20_000, 'the load clients to stop', load.finished());
      expect(service.child.exitCode).toBeNull();

      // The blocked request still completes once its lock is released.
      await locker.query('COMMIT');
      locker.release();
      locker = undefined;
      const finished = await blocked;

      const code = await within(EXIT_WITHIN_MS, 'the process to exit after SIGTERM', service.exited);
      const exitMs = Date.now() - signalAt;

      const accepted = (s: RawOutcome) => (s.sentAt !== undefined && s.sentAt < signalAt) || s.headersAt !== undefined;
      const failures: string[] = [];
      let notAccepted = 0;
      let inFlightAtSignal = 0;
      let answeredWithClose = 0;
      for (const s of load.samples as Sample[]) {
        if (s.sentAt !== undefined && s.sentAt < signalAt && s.endedAt >= signalAt) inFlightAtSignal++;
        if (s.response?.headers.connection === 'close') answeredWithClose++;
        const what =
          `${s.kind} by client ${s.client} sent ${s.sentAt === undefined ? 'never' : `${s.sentAt - signalAt} ms`} ` +
          `from the signal on a ${s.reusedSocket ? 'reused' : 'new'} connection`;
        if (!accepted(s)) {
          if (s.error && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(s.error.code)) notAccepted++;
          else failures.push(`${what}: ${s.error ? `${s.error.code} ${s.error.message}` : `status ${s.response?.status}`}`);
          continue;
        }
        if (!s.response) failures.push(`${what}: accepted, then ${s.error?.code} ${s.error?.message}`);
        else if (s.response.status >= 500) failures.push(`${what}: ${s.response.status} ${s.response.text.slice(0, 160)}`);
        else if (s.startedAt >= drainSeenAt && s.response.headers.connection !== 'close')
          failures.push(`${what}: answered while draining without Connection: close`);
      }
      console.log(
        `shutdown: ${load.samples.length} requests, ${load.ok('create').length} acknowledged writes, ${inFlightAtSignal} in flight at the signal, ` +
          `${answeredWithClose} answered with Connection: close, ${notAccepted} not accepted after it; exit ${exitMs} ms after SIGTERM with code ${code}`,
      );

      expect(failures.slice(0, 20)).toEqual([]);
      expect(readyz.status).toBe(503);
      expect(readyz.headers.connection).toBe('close');
      expect(envelopeProblem(readyz)).toBeUndefined();
      expect(finished.response?.status).toBe(200);
      expect((jsonOf(finished.response) as { metadata?: unknown }).metadata).toEqual({ finished: 'during drain' });
      expect(code).toBe(0);
      expect(exitMs).toBeLessThanOrEqual(EXIT_WITHIN_MS);
      expect(inFlightAtSignal).toBeGreaterThan(0);
    } finally {
      await load.stop();
      if (locker) {
        await locker.query('ROLLBACK').catch(() => undefined);
        locker.release();
      }
    }

    // Every acknowledged write is there after a restart, read through the restarted service.
    const again = await start();
    const listed = new Set<string>();
    let after: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const outcome = await sendRaw(port, {
        method: 'GET',
        path: `/v1/threads/${threadId}/messages?order=asc&limit=100${after ? `&after=${after}` : ''}`,
        headers: json,
      });
      expect(outcome.response?.status).toBe(200);
      const body = jsonOf(outcome.response) as { data: { id: string }[]; has_more: boolean; last_id: string | null };
      for (const message of body.data) listed.add(message.id);
      if (!body.has_more || !body.last_id) break;
      after = body.last_id;
    }
    const acknowledged = load.ok('create').map((s) => s.id as string);
    expect(acknowledged.filter((id) => !listed.has(id))).toEqual([]);
    const locked = await sendRaw(port, { method: 'GET', path: `/v1/threads/${lockedThreadId}`, headers: json });
    expect((jsonOf(locked.response) as { metadata?: unknown }).metadata).toEqual({ finished: 'during drain' });

    again.child.kill('SIGTERM');
    expect(await within(EXIT_WITHIN_MS, 'the restarted service to exit', again.exited)).toBe(0);
  }, 60_000);
});
