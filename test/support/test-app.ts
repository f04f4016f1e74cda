import 'reflect-metadata';
import { INestApplication } from '@nestjs/common';
import { Pool } from 'pg';
import request from 'supertest';
import { AppOptions, createApp } from '../../src/app.factory';
import { parseApiKeys } from '../../src/auth/api-keys';
import { ConfigError, DbPoolMode, HttpPlatformName, loadConfig } from '../../src/config/app.config';
import { DEFAULT_FILES_SETTINGS, FilesSettings } from '../../src/files/files.settings';
import { assertNoViolations, ContractRecorder } from './contract';
import { cloneTestDatabase, directUrlOf, testPool, testPoolMode } from './test-database';

export const KEY_A = 'sk-test-tenant-a-0123456789abcdefghijklmnop';
export const KEY_B = 'sk-test-tenant-b-0123456789abcdefghijklmnop';
/** A second key of tenant A: keys that share a name share a tenant. */
export const KEY_A2 = 'sk-test-tenant-a2-0123456789abcdefghijklmno';

export interface TestApp {
  app: INestApplication;
  http: ReturnType<typeof request>;
  /** Direct access to the test database, to check what was (not) stored. */
  db: Pool;
  databaseUrl: string;
  /** Checks every response against the published OpenAI schemas; close() fails on a violation. */
  contract: ContractRecorder;
  close(): Promise<void>;
}

/**
 * The platform the tests run on: HTTP_PLATFORM (fastify or express, validated as the service
 * validates it); Fastify when unset. CI runs the whole suite once per platform.
 */
export function testPlatform(): HttpPlatformName {
  try {
    return loadConfig({ HTTP_PLATFORM: process.env.HTTP_PLATFORM }).httpPlatform;
  } catch (error) {
    if (error instanceof ConfigError) throw new Error(`tests: ${error.message}`);
    throw error;
  }
}

export interface TestAppOptions {
  /** The HTTP platform; testPlatform() when unset. */
  platform?: HttpPlatformName;
  /** Share the database of another test app (several instances on one database). */
  databaseUrl?: string;
  bodyLimitBytes?: number;
  requestTimeoutMs?: number;
  listen?: boolean;
  corsOrigins?: string[];
  /**
   * The Files API's settings. References default to 'any' here: most suites are about messages and
   * threads and name made-up file ids; the suites about files and references set 'strict', the
   * service's default.
   */
  files?: Partial<FilesSettings>;
  /** Capture log lines (JSON) here; the app logs nothing otherwise. */
  logLines?: string[];
  /** The pool mode (else the run's DB_POOL_MODE), the direct URL (null: none) and the key poll interval. */
  poolMode?: DbPoolMode;
  directUrl?: string | null;
  keyPollMs?: number;
  connections?: AppOptions['connections'];
  rateLimitPerMinute?: number;
  authFailuresPerMinute?: number;
  metricsToken?: string;
  docsEnabled?: boolean;
}

/** The production app (same factory as main.ts) on a database of its own. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp & { url?: string }> {
  const database = options.databaseUrl ? { url: options.databaseUrl, drop: async () => undefined } : await cloneTestDatabase();
  // Through a pooler (DB_POOL_MODE of the run), key changes are listened for on the direct URL, as in production.
  const direct = directUrlOf(database.url);
  const directUrl = options.directUrl === null ? undefined : (options.directUrl ?? (direct === database.url ? undefined : direct));
  const app = await createApp({
    platform: options.platform ?? testPlatform(),
    database: { url: database.url, poolSize: 10, poolMode: options.poolMode ?? testPoolMode(), directUrl, keyPollMs: options.keyPollMs },
    apiKeys: parseApiKeys(`alpha:${KEY_A},beta:${KEY_B},alpha:${KEY_A2}`),
    bodyLimitBytes: options.bodyLimitBytes ?? 10 * 1024 * 1024,
    requestTimeoutMs: options.requestTimeoutMs ?? 30000,
    logLevel: options.logLines ? 'info' : 'silent',
    logStream: options.logLines ? { write: (line: string) => void options.logLines?.push(line) } : undefined,
    corsOrigins: options.corsOrigins,
    connections: options.connections,
    rateLimitPerMinute: options.rateLimitPerMinute,
    authFailuresPerMinute: options.authFailuresPerMinute,
    metricsToken: options.metricsToken,
    docsEnabled: options.docsEnabled,
    files: { ...DEFAULT_FILES_SETTINGS, references: 'any', ...options.files },
  });
  // Mounted on the HTTP server's request event: it sees every response, errors of the framework included.
  const contract = new ContractRecorder().attach(app);
  let url: string | undefined;
  if (options.listen) {
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  }
  const db = testPool(database.url);
  return {
    app,
    url,
    http: request(app.getHttpServer()),
    db,
    databaseUrl: database.url,
    contract,
    async close() {
      await db.end();
      await app.close();
      await database.drop();
      assertNoViolations(contract.violations());
    },
  };
}

export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

/** Row counts and a checksum of the tables (threads, messages, files and their bytes): equal before and after means nothing was written. */
export async function snapshot(db: Pool): Promise<string> {
  const { rows } = await db.query(`
    SELECT (SELECT count(*) FROM threads) AS threads, (SELECT count(*) FROM messages) AS messages,
      (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY id), '')) FROM threads t) AS threads_sum,
      (SELECT md5(coalesce(string_agg(m::text, '|' ORDER BY thread_id, seq), '')) FROM messages m) AS messages_sum,
      (SELECT count(*) FROM files) AS files, (SELECT count(*) FROM file_chunks) AS file_chunks,
      (SELECT md5(coalesce(string_agg(f::text, '|' ORDER BY id), '')) FROM files f) AS files_sum,
      (SELECT md5(coalesce(string_agg(c.file_id || ':' || c.n || ':' || md5(c.data), '|' ORDER BY c.file_id, c.n), '')) FROM file_chunks c) AS chunks_sum`);
  return JSON.stringify(rows[0]);
}

/** A response's body as the bytes sent (a file download). */
export const bytesOf = (call: ReturnType<ReturnType<typeof request>['get']>) =>
  call.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });
