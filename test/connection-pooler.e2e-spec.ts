import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import request from 'supertest';
import { hashKey } from '../src/auth/api-keys';
import { DbPoolMode } from '../src/config/app.config';
import { portForLater } from './support/ports';
import { PgBouncer, startPgBouncer } from './support/pgbouncer';
import { waitFor } from './support/reliability/wait-for';
import { runService, ServiceProcess, waitForOutput } from './support/service-process';
import { bearer, bytesOf, KEY_A, startTestApp, TestApp } from './support/test-app';
import { ADMIN_URL_ENV, cloneTestDatabase, testPool } from './support/test-database';

/**
 * The service behind a real PgBouncer (Debian's), in both of its modes. PgBouncer refuses the
 * statement_timeout startup parameter with its default settings, and in transaction mode hands
 * each transaction whichever server connection is free: named prepared statements, session
 * settings and LISTEN do not survive that.
 */

const REQUEST_TIMEOUT_MS = 1500;

function adminUrl(): string {
  const url = process.env[ADMIN_URL_ENV];
  if (!url) throw new Error('the jest global setup did not run');
  return url;
}

/**
 * A write blocked on a lock past the statement timeout is cancelled by the server (the request is
 * answered 504) and never lands, even once the lock is released: the statement timeout is in effect.
 */
async function expectStatementTimeoutInEffect(database: { name: string; direct: Pool }, send: (marker: string) => Promise<{ status: number }>) {
  const marker = `timeout-${randomBytes(4).toString('hex')}`;
  const locker = await database.direct.connect();
  try {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE threads IN SHARE MODE');
    const response = await send(marker);
    expect(response.status).toBe(504);
    // Cancelled by the server, not merely abandoned by the client: no statement waits on the lock any more.
    await waitFor(
      'the blocked statement to be cancelled',
      async () => {
        const { rows } = await database.direct.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`, [
          database.name,
        ]);
        return rows[0].n === 0;
      },
      { timeoutMs: 3000 },
    );
  } finally {
    await locker.query('ROLLBACK');
    locker.release();
  }
  const { rows } = await database.direct.query(`SELECT count(*)::int AS n FROM threads WHERE metadata::text LIKE $1`, [`%${marker}%`]);
  expect(rows[0].n).toBe(0);
}

describe('behind PgBouncer in transaction mode', () => {
  let bouncer: PgBouncer;
  let database: Awaited<ReturnType<typeof cloneTestDatabase>>;
  let direct: Pool;
  const apps: TestApp[] = [];
  const start = async (options: { directUrl?: string | null; keyPollMs?: number; requestTimeoutMs?: number } = {}) => {
    const app = await startTestApp({ databaseUrl: bouncer.url(database.name), poolMode: 'transaction', directUrl: null, ...options });
    apps.push(app);
    return app;
  };

  beforeAll(async () => {
    // Two server connections for apps of ten connections each: statements of one client meet
    // server connections that other clients used, as they do in production.
    bouncer = await startPgBouncer({ upstreamUrl: adminUrl(), poolMode: 'transaction', settings: { default_pool_size: '2', max_client_conn: '200' } });
    database = await cloneTestDatabase();
    direct = testPool(database.directUrl, 4);
  });
  afterAll(async () => {
    for (const app of apps.reverse()) await app.close();
    await direct?.end();
    await bouncer?.stop();
    await database?.drop();
  });

  it('the built service left in direct mode in front of it stops at once, naming DB_POOL_MODE', async () => {
    // DB_POOL_MODE given: on a run through a pooler, the service would otherwise take the run's mode.
    const service = runService({
      DATABASE_URL: bouncer.url(database.name),
      DB_POOL_MODE: 'direct',
      API_KEYS: 'sk-direct-by-mistake-0123456789',
      PORT: String(await portForLater()),
    });
    // Stopped if it serves after all, so that a failure leaves no process behind.
    const served = waitForOutput(service, 'Listening on').then(
      () => service.child.kill('SIGTERM'),
      () => undefined,
    );
    expect(await service.exited).toBe(1);
    await served;
    expect(service.output()).toContain(
      `DATABASE_URL leads to a connection pooler at ${new URL(bouncer.url(database.name)).host}, which refused a session setting`,
    );
    expect(service.output()).toContain("set DB_POOL_MODE to the pooler's mode");
  });

  it('answers every route, eight clients at once over two server connections, without a 500', async () => {
    const app = await start();
    const statuses: number[] = [];
    const client = async (n: number) => {
      for (let i = 0; i < 12; i++) {
        const thread = await app.http
          .post('/v1/threads')
          .set(bearer(KEY_A))
          .send({ metadata: { n: `${n}` }, messages: [{ role: 'user', content: 'first' }] });
        statuses.push(thread.status);
        const id = thread.body.id as string;
        const message = await app.http
          .post(`/v1/threads/${id}/messages`)
          .set(bearer(KEY_A))
          .set('Idempotency-Key', `k-${n}-${i}`)
          .send({ role: 'user', content: `m${i}` });
        statuses.push(message.status);
        const responses = await Promise.all([
          app.http.get(`/v1/threads/${id}/messages?limit=1&order=asc`).set(bearer(KEY_A)),
          app.http.get(`/v1/threads/${id}/messages/${message.body.id}`).set(bearer(KEY_A)),
          app.http
            .post(`/v1/threads/${id}/messages/${message.body.id}`)
            .set(bearer(KEY_A))
            .send({ metadata: { i: `${i}` } }),
          app.http.get(`/openai/threads/${id}?api-version=2024-08-01-preview`).set('api-key', KEY_A),
          app.http.get('/readyz'),
        ]);
        statuses.push(...responses.map((r) => r.status));
        statuses.push((await app.http.delete(`/v1/threads/${id}/messages/${message.body.id}`).set(bearer(KEY_A))).status);
        statuses.push((await app.http.delete(`/v1/threads/${id}`).set(bearer(KEY_A))).status);
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, n) => client(n)));
    expect(statuses).toHaveLength(8 * 12 * 9);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    // What the pooler carries: no prepared statement and no setting is left on a server connection.
    const pooled = new Client({ connectionString: bouncer.url(database.name) });
    await pooled.connect();
    try {
      for (let i = 0; i < 4; i++) {
        const { rows } = await pooled.query(
          `SELECT (SELECT count(*)::int FROM pg_prepared_statements) AS prepared, current_setting('statement_timeout') AS timeout`,
        );
        expect(rows[0]).toEqual({ prepared: 0, timeout: '0' });
      }
    } finally {
      await pooled.end();
    }
  });

  it('uploads and downloads files byte for byte, four clients at once, their parts copied with the timeout set in the same round trip', async () => {
    const app = await start();
    const files = Array.from({ length: 4 }, (_, i) => randomBytes(700_000 + i));
    await Promise.all(
      files.map(async (bytes, i) => {
        const created = await app.http.post('/v1/files').set(bearer(KEY_A)).field('purpose', 'assistants').attach('file', bytes, `f${i}.bin`).expect(200);
        for (let round = 0; round < 3; round++) {
          const content = await bytesOf(app.http.get(`/v1/files/${created.body.id}/content`).set(bearer(KEY_A)));
          expect(content.status).toBe(200);
          expect((content.body as Buffer).equals(bytes)).toBe(true);
        }
      }),
    );
    const pooled = new Client({ connectionString: bouncer.url(database.name) });
    await pooled.connect();
    try {
      for (let i = 0; i < 4; i++) {
        const { rows } = await pooled.query(`SELECT current_setting('statement_timeout') AS timeout`);
        expect(rows[0]).toEqual({ timeout: '0' });
      }
    } finally {
      await pooled.end();
    }
  });

  it('keeps the statement timeout: a statement past it is cancelled by the server, and its write never lands', async () => {
    const app = await start({ requestTimeoutMs: REQUEST_TIMEOUT_MS });
    await expectStatementTimeoutInEffect({ name: database.name, direct }, (marker) =>
      app.http.post('/v1/threads').set(bearer(KEY_A)).send({ metadata: { marker } }),
    );
    await app.http.post('/v1/threads').set(bearer(KEY_A)).send({}).expect(200);
  });

  const addKey = async () => {
    const secret = `sk-pool-${randomBytes(16).toString('hex')}`;
    const id = `key_${randomBytes(8).toString('hex')}`;
    await direct.query(`INSERT INTO api_keys (id, tenant_id, hash) VALUES ($1, 'pooled', $2)`, [id, hashKey(secret).toString('hex')]);
    return { secret, id };
  };
  const status = async (app: TestApp, secret: string) => (await app.http.get('/v1/threads/thread_none').set(bearer(secret))).status;
  const listeners = async () =>
    (await direct.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'assistants-threads-keys'`, [database.name]))
      .rows[0].n as number;

  it('without a direct URL, polls key changes: a revoked key is refused by every instance within API_KEYS_POLL_MS', async () => {
    const POLL_MS = 1000;
    const before = await listeners();
    const instances = [await start({ keyPollMs: POLL_MS }), await start({ keyPollMs: POLL_MS })];
    expect(await listeners()).toBe(before);
    const key = await addKey();
    for (const app of instances)
      await waitFor('the new key to be accepted', async () => (await status(app, key.secret)) === 404, { timeoutMs: POLL_MS + 1000 });

    await direct.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [key.id]);
    const revokedAt = Date.now();
    const refusedAfter = await Promise.all(
      instances.map((app) =>
        waitFor('the revoked key to be refused', async () => ((await status(app, key.secret)) === 401 ? Date.now() - revokedAt : 0), {
          timeoutMs: POLL_MS * 3,
          intervalMs: 10,
        }),
      ),
    );
    console.log(`key revocation, polled every ${POLL_MS} ms: refused after ${refusedAfter.join(' and ')} ms`);
    // One interval, and the time to read the table once (bounded at 500 ms on a busy CI machine).
    for (const elapsed of refusedAfter) expect(elapsed).toBeLessThanOrEqual(POLL_MS + 500);
  });

  it('with a direct URL, listens for key changes past the pooler: a revoked key is refused at once', async () => {
    const before = await listeners();
    const instances = [await start({ directUrl: database.directUrl, keyPollMs: 600_000 }), await start({ directUrl: database.directUrl, keyPollMs: 600_000 })];
    await waitFor('both instances to listen', async () => (await listeners()) === before + 2, { timeoutMs: 3000 });
    const key = await addKey();
    for (const app of instances) await waitFor('the new key to be accepted', async () => (await status(app, key.secret)) === 404, { timeoutMs: 2000 });
    await direct.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [key.id]);
    for (const app of instances) await waitFor('the revoked key to be refused', async () => (await status(app, key.secret)) === 401, { timeoutMs: 1000 });
  });
});

describe('behind PgBouncer in session mode, with its default settings', () => {
  let bouncer: PgBouncer;
  let database: Awaited<ReturnType<typeof cloneTestDatabase>>;
  let direct: Pool;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    bouncer = await startPgBouncer({ upstreamUrl: adminUrl() });
    database = await cloneTestDatabase();
    direct = testPool(database.directUrl, 4);
  });
  afterAll(async () => {
    if (service && service.child.exitCode === null) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
    await direct?.end();
    await bouncer?.stop();
    await database?.drop();
  });

  it('the built service starts (DB_POOL_MODE=session), migrates through it, serves, and keeps the statement timeout', async () => {
    const port = await portForLater();
    const key = 'sk-session-pooler-0123456789abcdefghijklmnop';
    const mode: DbPoolMode = 'session';
    service = runService({
      DATABASE_URL: bouncer.url(database.name),
      DB_POOL_MODE: mode,
      API_KEYS: `t:${key}`,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    });
    const output = await waitForOutput(service, 'Listening on');
    expect(output).toContain('through a pooler in session mode');
    const http = request(`http://127.0.0.1:${port}`);
    await http.get('/readyz').expect(200);
    const thread = await http
      .post('/v1/threads')
      .set(bearer(key))
      .send({ messages: [{ role: 'user', content: 'hello' }] })
      .expect(200);
    const list = await http.get(`/v1/threads/${thread.body.id}/messages`).set(bearer(key)).expect(200);
    expect(list.body.data).toHaveLength(1);
    await expectStatementTimeoutInEffect({ name: database.name, direct }, (marker) => http.post('/v1/threads').set(bearer(key)).send({ metadata: { marker } }));
    // A revoked key is refused at once: LISTEN works through a session pooler.
    const other = 'sk-session-managed-0123456789abcdefghijklmno';
    await direct.query(`INSERT INTO api_keys (id, tenant_id, hash) VALUES ('key_session', 'm', $1)`, [hashKey(other).toString('hex')]);
    await waitFor('the new key to be accepted', async () => (await http.get('/v1/threads/thread_none').set(bearer(other))).status === 404, { timeoutMs: 2000 });
    await direct.query(`UPDATE api_keys SET revoked_at = now() WHERE id = 'key_session'`);
    await waitFor('the revoked key to be refused', async () => (await http.get('/v1/threads/thread_none').set(bearer(other))).status === 401, {
      timeoutMs: 1000,
    });
  });
});

describe('reached directly (the default mode)', () => {
  it('keeps the statement timeout (a startup parameter)', async () => {
    const database = await cloneTestDatabase();
    const app = await startTestApp({ poolMode: 'direct', directUrl: null, requestTimeoutMs: REQUEST_TIMEOUT_MS, databaseUrl: database.directUrl });
    const direct = testPool(database.directUrl, 3);
    try {
      await expectStatementTimeoutInEffect({ name: database.name, direct }, (marker) =>
        app.http.post('/v1/threads').set(bearer(KEY_A)).send({ metadata: { marker } }),
      );
    } finally {
      await direct.end();
      await app.close();
      await database.drop();
    }
  });
});
