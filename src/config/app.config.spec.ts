import { resolve } from 'node:path';
import { ConfigError, loadConfig } from './app.config';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    expect(loadConfig({})).toEqual({
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: undefined,
      databaseDirectUrl: undefined,
      dbPoolMode: 'direct',
      apiKeysPollMs: 5000,
      dataDir: resolve('./data'),
      apiKeys: undefined,
      bodyLimitBytes: 10 * 1024 * 1024,
      logLevel: 'info',
      dbPoolSize: 10,
      migrationsRun: true,
      requestTimeoutMs: 30000,
      corsOrigins: [],
      httpPlatform: 'fastify',
      connections: { headersTimeoutMs: 10_000, bodyTimeoutMs: 30_000, idleTimeoutMs: 60_000, uploadIdleTimeoutMs: 30_000, maxConnections: 1_000 },
      rateLimitPerMinute: 0,
      authFailuresPerMinute: 60,
      metricsToken: undefined,
      docsEnabled: true,
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '9000',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://u:p@db:5432/x',
      DATABASE_DIRECT_URL: 'postgresql://u:p@db-primary:5432/x',
      DB_POOL_MODE: 'Transaction',
      API_KEYS_POLL_MS: '2000',
      DATA_DIR: '/tmp/d',
      API_KEYS: 'a:sk-aaaaaaaaaaaa',
      BODY_LIMIT: '512kb',
      LOG_LEVEL: 'DEBUG',
      DB_POOL_SIZE: '25',
      MIGRATIONS_RUN: 'false',
      REQUEST_TIMEOUT_MS: '5000',
      CORS_ORIGINS: 'https://a.example, http://localhost:3000',
      HTTP_PLATFORM: 'Express',
      HEADERS_TIMEOUT_MS: '2000',
      BODY_TIMEOUT_MS: '9000',
      IDLE_TIMEOUT_MS: '15000',
      UPLOAD_IDLE_TIMEOUT_MS: '12000',
      MAX_CONNECTIONS: '50',
      RATE_LIMIT_RPM: '600',
      AUTH_FAILURES_PER_MINUTE: '0',
      METRICS_TOKEN: 'metrics-0123456789abcdef',
      DOCS_ENABLED: 'false',
    });
    expect(config).toEqual({
      port: 9000,
      host: '0.0.0.0',
      databaseUrl: 'postgres://u:p@db:5432/x',
      databaseDirectUrl: 'postgresql://u:p@db-primary:5432/x',
      dbPoolMode: 'transaction',
      apiKeysPollMs: 2000,
      dataDir: '/tmp/d',
      apiKeys: 'a:sk-aaaaaaaaaaaa',
      bodyLimitBytes: 512 * 1024,
      logLevel: 'debug',
      dbPoolSize: 25,
      migrationsRun: false,
      requestTimeoutMs: 5000,
      corsOrigins: ['https://a.example', 'http://localhost:3000'],
      httpPlatform: 'express',
      connections: { headersTimeoutMs: 2000, bodyTimeoutMs: 9000, idleTimeoutMs: 15000, uploadIdleTimeoutMs: 12000, maxConnections: 50 },
      rateLimitPerMinute: 600,
      authFailuresPerMinute: 0,
      metricsToken: 'metrics-0123456789abcdef',
      docsEnabled: false,
    });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['DATABASE_URL', 'not a url'],
    ['BODY_LIMIT', 'lots'],
    ['BODY_LIMIT', '0'],
    ['LOG_LEVEL', 'loud'],
    ['DB_POOL_SIZE', '0'],
    ['MIGRATIONS_RUN', 'maybe'],
    ['REQUEST_TIMEOUT_MS', '10'],
    ['CORS_ORIGINS', 'example.com'],
    ['HTTP_PLATFORM', 'koa'],
    ['DATABASE_DIRECT_URL', 'mysql://x'],
    ['DB_POOL_MODE', 'pgbouncer'],
    ['API_KEYS_POLL_MS', '10'],
    ['HEADERS_TIMEOUT_MS', '0'],
    ['BODY_TIMEOUT_MS', '200'],
    ['IDLE_TIMEOUT_MS', 'soon'],
    ['UPLOAD_IDLE_TIMEOUT_MS', '50'],
    ['UPLOAD_IDLE_TIMEOUT_MS', '60001'],
    ['MAX_CONNECTIONS', '0'],
    ['RATE_LIMIT_RPM', '-1'],
    ['AUTH_FAILURES_PER_MINUTE', 'many'],
    ['METRICS_TOKEN', 'short'],
    ['DOCS_ENABLED', 'perhaps'],
  ])('rejects %s=%s with a message naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^${name} `));
  });

  it('times uploads by their progress: at most IDLE_TIMEOUT_MS, which a shorter one brings down when unset', () => {
    expect(loadConfig({ IDLE_TIMEOUT_MS: '20000' }).connections.uploadIdleTimeoutMs).toBe(20000);
    expect(loadConfig({ IDLE_TIMEOUT_MS: '20000', UPLOAD_IDLE_TIMEOUT_MS: '5000' }).connections.uploadIdleTimeoutMs).toBe(5000);
    expect(() => loadConfig({ IDLE_TIMEOUT_MS: '20000', UPLOAD_IDLE_TIMEOUT_MS: '25000' })).toThrow(
      /^UPLOAD_IDLE_TIMEOUT_MS must be at most IDLE_TIMEOUT_MS \(20000\)/,
    );
  });

  it('refuses a pooler setting without the pooler, naming the variables', () => {
    expect(() => loadConfig({ DB_POOL_MODE: 'transaction' })).toThrow(/^DB_POOL_MODE=transaction needs DATABASE_URL/);
    expect(() => loadConfig({ DATABASE_DIRECT_URL: 'postgres://u@db/x' })).toThrow(/^DATABASE_DIRECT_URL is set but DATABASE_URL is not/);
    expect(loadConfig({ DB_POOL_MODE: 'session', DATABASE_URL: 'postgres://u@pooler:6432/x' }).dbPoolMode).toBe('session');
  });
});
