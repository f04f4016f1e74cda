import { mkdtempSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgres, freePort } from '../src/database/embedded-postgres';

/** A port some other process holds on 127.0.0.1 for as long as the test runs. */
async function takenPort(): Promise<{ port: number; holder: Server }> {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  return { port: (holder.address() as { port: number }).port, holder };
}

const close = (server: Server) => new Promise((resolve) => server.close(resolve));

/** A throwaway embedded server whose ports come from `portToTry`. */
const embeddedTrying = (portToTry: () => Promise<number>) =>
  new EmbeddedPostgres({ dataDir: mkdtempSync(join(tmpdir(), 'threads-port-')), ephemeral: true, settings: { fsync: 'off' }, portToTry });

describe('embedded PostgreSQL: a port taken between finding it free and binding it', () => {
  it('starts on another port', async () => {
    const taken = await takenPort();
    const tried: number[] = [];
    const embedded = embeddedTrying(async () => {
      const port = tried.length === 0 ? taken.port : await freePort();
      tried.push(port);
      return port;
    });
    try {
      const url = await embedded.start();
      expect(tried).toHaveLength(2);
      expect(embedded.port).toBe(tried[1]);
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        expect((await client.query<{ answer: number }>('SELECT 1 AS answer')).rows).toEqual([{ answer: 1 }]);
      } finally {
        await client.end();
      }
    } finally {
      await embedded.stop();
      await close(taken.holder);
    }
  });

  it('gives up after five taken ports, saying why', async () => {
    const taken = await takenPort();
    let tries = 0;
    const embedded = embeddedTrying(() => {
      tries++;
      return Promise.resolve(taken.port);
    });
    try {
      await expect(embedded.start()).rejects.toThrow(/Address already in use/);
      expect(tries).toBe(5);
    } finally {
      await embedded.stop();
      await close(taken.holder);
    }
  });
});
