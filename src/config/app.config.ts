import { resolve } from 'node:path';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
/** The HTTP framework under Nest (src/platform). */
export type HttpPlatformName = 'fastify' | 'express';
export const HTTP_PLATFORMS: readonly HttpPlatformName[] = ['fastify', 'express'];

/**
 * What lies between the service and PostgreSQL: nothing (`direct`), a pooler that gives each
 * client connection a server connection for its whole life (`session`), or one that hands the
 * server connection back after every transaction (`transaction`).
 */
export type DbPoolMode = 'direct' | 'session' | 'transaction';
export const DB_POOL_MODES: readonly DbPoolMode[] = ['direct', 'session', 'transaction'];

export interface AppConfig {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  /** A connection that bypasses the pooler: migrations, the keys command, LISTEN for key changes. */
  databaseDirectUrl: string | undefined;
  dbPoolMode: DbPoolMode;
  /** How often key changes are read when they cannot be listened for. */
  apiKeysPollMs: number;
  dataDir: string;
  apiKeys: string | undefined;
  bodyLimitBytes: number;
  logLevel: LogLevel;
  dbPoolSize: number;
  migrationsRun: boolean;
  requestTimeoutMs: number;
  corsOrigins: string[];
  httpPlatform: HttpPlatformName;
  /** Server-side limits on connections (README, Limits and abuse). */
  connections: ConnectionSettings;
  /** Requests per minute per API key; 0: no limit. */
  rateLimitPerMinute: number;
  /** Failed authentications per minute per client address; 0: no limit. */
  authFailuresPerMinute: number;
  /** Bearer token `GET /metrics` requires; unset: metrics open to whoever reaches the port. */
  metricsToken: string | undefined;
  /** Serve `/docs` and `/openapi.json`. */
  docsEnabled: boolean;
}

export interface ConnectionSettings {
  /** The request line and headers must arrive within this. */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this. */
  bodyTimeoutMs: number;
  /** A connection with no traffic either way for this long is closed. */
  idleTimeoutMs: number;
  /**
   * An upload (POST /files) is not held to `bodyTimeoutMs`: it fails when none of its bytes arrive
   * for this long while the service waits for them (at most `idleTimeoutMs`).
   */
  uploadIdleTimeoutMs: number;
  /** Connections beyond this many are closed at once. */
  maxConnections: number;
}

export class ConfigError extends Error {}

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, mb: 1024 ** 2, mib: 1024 ** 2, kib: 1024, gb: 1024 ** 3, gib: 1024 ** 3 };

/** An integer setting from min to max; the fallback (a number, or undefined for a setting that may be unset) when unset. */
export function integer<F extends number | undefined>(env: NodeJS.ProcessEnv, name: string, fallback: F, min: number, max: number): number | F {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

export function byteSize(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const match = /^(\d+)\s*([a-z]*)$/i.exec(raw.trim());
  const unit = match ? SIZE_UNITS[match[2].toLowerCase()] : undefined;
  if (!match || unit === undefined || Number(match[1]) < 1) {
    throw new ConfigError(`${name} must be a size such as 1048576, 512kb or 10mb, got '${raw}'`);
  }
  return Number(match[1]) * unit;
}

function databaseUrl(env: NodeJS.ProcessEnv, name = 'DATABASE_URL'): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL such as postgres://user:password@host:5432/db`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`${name} must use the postgres:// or postgresql:// scheme, got '${url.protocol}'`);
  }
  return raw;
}

export function dbPoolMode(env: NodeJS.ProcessEnv): DbPoolMode {
  const raw = env.DB_POOL_MODE;
  if (raw === undefined || raw === '') return 'direct';
  const mode = raw.trim().toLowerCase() as DbPoolMode;
  if (!DB_POOL_MODES.includes(mode)) throw new ConfigError(`DB_POOL_MODE must be one of ${DB_POOL_MODES.join(', ')}, got '${raw}'`);
  return mode;
}

function boolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got '${raw}'`);
}

function corsOrigins(env: NodeJS.ProcessEnv): string[] {
  const origins = (env.CORS_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of origins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ConfigError(`CORS_ORIGINS must be '*' or origins such as https://app.example.com, got '${origin}'`);
    }
  }
  return origins;
}

function httpPlatform(env: NodeJS.ProcessEnv): HttpPlatformName {
  const raw = env.HTTP_PLATFORM;
  if (raw === undefined || raw === '') return 'fastify';
  const name = raw.trim().toLowerCase() as HttpPlatformName;
  if (!HTTP_PLATFORMS.includes(name)) throw new ConfigError(`HTTP_PLATFORM must be one of ${HTTP_PLATFORMS.join(', ')}, got '${raw}'`);
  return name;
}

export const DEFAULT_CONNECTIONS: ConnectionSettings = {
  headersTimeoutMs: 10_000,
  bodyTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  uploadIdleTimeoutMs: 30_000,
  maxConnections: 1_000,
};

function connectionSettings(env: NodeJS.ProcessEnv): ConnectionSettings {
  const headersTimeoutMs = integer(env, 'HEADERS_TIMEOUT_MS', DEFAULT_CONNECTIONS.headersTimeoutMs, 100, 3_600_000);
  const bodyTimeoutMs = integer(env, 'BODY_TIMEOUT_MS', DEFAULT_CONNECTIONS.bodyTimeoutMs, 100, 3_600_000);
  if (bodyTimeoutMs < headersTimeoutMs) {
    throw new ConfigError(
      `BODY_TIMEOUT_MS (the whole request, headers included) must be at least HEADERS_TIMEOUT_MS (${headersTimeoutMs}), got '${bodyTimeoutMs}'`,
    );
  }
  const idleTimeoutMs = integer(env, 'IDLE_TIMEOUT_MS', DEFAULT_CONNECTIONS.idleTimeoutMs, 100, 3_600_000);
  // Unset, it follows a shorter IDLE_TIMEOUT_MS down: a stalled upload's connection would be closed by that first.
  const uploadIdleTimeoutMs = integer(env, 'UPLOAD_IDLE_TIMEOUT_MS', Math.min(DEFAULT_CONNECTIONS.uploadIdleTimeoutMs, idleTimeoutMs), 100, 3_600_000);
  if (uploadIdleTimeoutMs > idleTimeoutMs) {
    throw new ConfigError(
      `UPLOAD_IDLE_TIMEOUT_MS must be at most IDLE_TIMEOUT_MS (${idleTimeoutMs}): a connection idle that long is closed first; got '${uploadIdleTimeoutMs}'`,
    );
  }
  return {
    headersTimeoutMs,
    bodyTimeoutMs,
    idleTimeoutMs,
    uploadIdleTimeoutMs,
    maxConnections: integer(env, 'MAX_CONNECTIONS', DEFAULT_CONNECTIONS.maxConnections, 1, 1_000_000),
  };
}

function metricsToken(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.METRICS_TOKEN;
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < 20 || !/^[A-Za-z0-9._~+/=-]+$/.test(raw)) {
    throw new ConfigError('METRICS_TOKEN must be at least 20 characters of letters, digits and . _ ~ + / = -');
  }
  return raw;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const logLevel = (env.LOG_LEVEL || 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got '${env.LOG_LEVEL}'`);
  }
  const host = env.HOST || '127.0.0.1';
  if (/\s/.test(host)) throw new ConfigError(`HOST must be an address such as 127.0.0.1 or 0.0.0.0, got '${host}'`);
  const url = databaseUrl(env);
  const directUrl = databaseUrl(env, 'DATABASE_DIRECT_URL');
  if (directUrl && !url)
    throw new ConfigError('DATABASE_DIRECT_URL is set but DATABASE_URL is not: set DATABASE_URL to the pooler, or unset both for the embedded database');
  const poolMode = dbPoolMode(env);
  if (poolMode !== 'direct' && !url)
    throw new ConfigError(`DB_POOL_MODE=${poolMode} needs DATABASE_URL (the pooler's address); the embedded database is reached directly`);
  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host,
    databaseUrl: url,
    databaseDirectUrl: directUrl,
    dbPoolMode: poolMode,
    apiKeysPollMs: integer(env, 'API_KEYS_POLL_MS', 5000, 100, 3600000),
    dataDir: resolve(env.DATA_DIR || './data'),
    apiKeys: env.API_KEYS || undefined,
    bodyLimitBytes: byteSize(env, 'BODY_LIMIT', 10 * 1024 * 1024),
    logLevel,
    dbPoolSize: integer(env, 'DB_POOL_SIZE', 10, 1, 1000),
    migrationsRun: boolean(env, 'MIGRATIONS_RUN', true),
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 30000, 100, 3600000),
    corsOrigins: corsOrigins(env),
    httpPlatform: httpPlatform(env),
    connections: connectionSettings(env),
    rateLimitPerMinute: integer(env, 'RATE_LIMIT_RPM', 0, 0, 100_000_000),
    authFailuresPerMinute: integer(env, 'AUTH_FAILURES_PER_MINUTE', 60, 0, 100_000_000),
    metricsToken: metricsToken(env),
    docsEnabled: boolean(env, 'DOCS_ENABLED', true),
  };
}
