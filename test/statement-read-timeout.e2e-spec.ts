import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import type { DbPoolMode } from '../src/config/app.config';
import { PG_POOL, Sql, statement } from '../src/database/sql';
import { cloneTestDatabase } from './support/test-database';
import { startTestApp, TestApp } from './support/test-app';

/**
 * A TCP proxy in front of PostgreSQL whose connections can be stalled: from `stall()` on, the
 * connections open then pass nothing either way and never close (a network that stalls without
 * failing); connections opened later pass as usual.
 */
class StallingProxy {
  private readonly open = new Set<{ client: Socket; server: Socket }>();
  private readonly stalled = new Set<Socket>();
  private server?: Server;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<number> {
    this.server = createServer((client) => {
      const server = connect(this.target.port, this.target.host);
      const pair = { client, server };
      this.open.add(pair);
      const forward = (from: Socket, to: Socket) =>
        from.on('data', (chunk: Buffer) => {
          if (!this.stalled.has(client)) to.write(chunk);
        });
      forward(client, server);
      forward(server, client);
      const close = () => {
        this.open.delete(pair);
        client.destroy();
        server.destroy();
      };
      client.on('error', close).on('close', close);
      server.on('error', close).on('close', close);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return (this.server?.address() as AddressInfo).port;
  }

  stall(): number {
    for (const { client } of this.open) this.stalled.add(client);
    return this.open.size;
  }

  async close(): Promise<void> {
    for (const { client, server } of this.open) {
      client.destroy();
      server.destroy();
    }
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

describe.each<DbPoolMode>(['direct', 'session', 'transaction'])('a statement on a connection that stalls (%s mode)', (poolMode) => {
  let t: TestApp;
  let proxy: StallingProxy;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await cloneTestDatabase();
    drop = database.drop;
    const direct = new URL(database.directUrl);
    proxy = new StallingProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    const port = await proxy.start();
    direct.port = String(port);
    // A request timeout of 1 s: statements time out at 0.8 s on the server, 1.3 s on the client.
    t = await startTestApp({ databaseUrl: direct.toString(), poolMode, directUrl: null, requestTimeoutMs: 1000 });
  });

  afterAll(async () => {
    await t.close();
    await proxy.close();
    await drop();
  });

  it("fails with pg's read timeout once overdue, and its connection is not reused", async () => {
    const sql = t.app.get(Sql);
    const pool = t.app.get<Pool>(PG_POOL);
    const ping = statement('SELECT 1 AS one');
    expect(await sql.rows(ping, [])).toEqual([{ one: 1 }]);
    expect(pool.idleCount).toBeGreaterThan(0);

    // The pool's connections (and the key store's listening one) stall.
    const stalled = pool.totalCount;
    expect(proxy.stall()).toBeGreaterThanOrEqual(stalled);
    const started = Date.now();
    await expect(sql.rows(ping, [])).rejects.toThrow('Query read timeout');
    // The 1.3 s read timeout, found by a sweep every 250 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1300);

    // Every stalled connection is given up on as it is tried; new ones answer.
    let answered: unknown[] | undefined;
    for (let attempt = 0; attempt <= stalled && answered === undefined; attempt++) {
      answered = await sql.rows(ping, []).catch((error: Error) => {
        expect(error.message).toBe('Query read timeout');
        return undefined;
      });
    }
    expect(answered).toEqual([{ one: 1 }]);
  });

  it('answers a request on a stalled connection 504 in the error envelope', async () => {
    proxy.stall();
    const response = await t.http.get('/v1/threads/thread_stalled').set('Authorization', `Bearer sk-test-tenant-a-0123456789abcdefghijklmnop`);
    expect(response.status).toBe(504);
    expect(response.body.error.type).toBeDefined();
  });
});
