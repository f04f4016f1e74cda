import { existsSync } from 'node:fs';
import { Pool } from 'pg';
import { portForLater } from '../ports';
import { MAIN, runService, ServiceProcess, waitForOutput } from '../service-process';
import { cloneTestDatabase, testPool } from '../test-database';
import { TcpRelay } from './tcp-relay';
import { within } from './wait-for';

export interface RelayedService {
  service: ServiceProcess;
  port: number;
  relay: TcpRelay;
  /** A connection to the same database that does not go through the relay. */
  direct: Pool;
  stop(): Promise<void>;
}

/** The built service on a database of its own, reaching PostgreSQL through a TCP relay the test can cut. */
export async function startRelayedService(apiKey: string, env: NodeJS.ProcessEnv = {}): Promise<RelayedService> {
  if (!existsSync(MAIN)) throw new Error('dist/main.js is missing: run npm run build first');
  const database = await cloneTestDatabase();
  const upstream = new URL(database.url);
  const relay = await TcpRelay.start(upstream.hostname, Number(upstream.port || 5432));
  const relayed = new URL(database.url);
  relayed.hostname = '127.0.0.1';
  relayed.port = String(relay.port);
  const port = await portForLater();
  const service = runService({
    DATABASE_URL: relayed.toString(),
    API_KEYS: `t:${apiKey}`,
    PORT: String(port),
    HOST: '127.0.0.1',
    MIGRATIONS_RUN: 'true',
    LOG_LEVEL: 'error',
    DB_POOL_SIZE: '4',
    ...env,
  });
  await waitForOutput(service, 'Listening on');
  const direct = testPool(database.url);
  return {
    service,
    port,
    relay,
    direct,
    async stop() {
      if (service.child.exitCode === null && service.child.signalCode === null) {
        service.child.kill('SIGTERM');
        await within(10_000, 'the service to exit on SIGTERM', service.exited).catch(() => {
          service.child.kill('SIGKILL');
          return service.exited;
        });
      }
      await relay.close();
      await direct.end();
      await database.drop();
    },
  };
}
