import { resolve } from 'node:path';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
/** The HTTP framework under Nest (src/platform). */
export type HttpPlatformName = 'fastify' | 'express';
export const HTTP_PLATFORMS: readonly HttpPlatformName[] = ['fastify', 'express'];

export interface AppConfig {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  apiKeys: string | undefined;
  bodyLimitBytes: number;
  logLevel: LogLevel;
  dbPoolSize: number;
  migrationsRun: boolean;
  requestTimeoutMs: number;
  corsOrigins: string[];
  httpPlatform: HttpPlatformName;
}

export class ConfigError extends Error {}

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, mb: 1024 ** 2, mib: 1024 ** 2, kib: 1024, gb: 1024 ** 3, gib: 1024 ** 3 };

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
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

function databaseUrl(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.DATABASE_URL;
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`DATABASE_URL must be a URL such as postgres://user:password@host:5432/db`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`DATABASE_URL must use the postgres:// or postgresql:// scheme, got '${url.protocol}'`);
  }
  return raw;
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

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const logLevel = (env.LOG_LEVEL || 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got '${env.LOG_LEVEL}'`);
  }
  const host = env.HOST || '127.0.0.1';
  if (/\s/.test(host)) throw new ConfigError(`HOST must be an address such as 127.0.0.1 or 0.0.0.0, got '${host}'`);
  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host,
    databaseUrl: databaseUrl(env),
    dataDir: resolve(env.DATA_DIR || './data'),
    apiKeys: env.API_KEYS || undefined,
    bodyLimitBytes: byteSize(env, 'BODY_LIMIT', 10 * 1024 * 1024),
    logLevel,
    dbPoolSize: integer(env, 'DB_POOL_SIZE', 10, 1, 1000),
    migrationsRun: boolean(env, 'MIGRATIONS_RUN', true),
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 30000, 100, 3600000),
    corsOrigins: corsOrigins(env),
    httpPlatform: httpPlatform(env),
  };
}
