import { ConfigError, integer } from './app.config';

/** The settings of the data-ownership features: full-text search and retention. */
export interface DataConfig {
  /** The PostgreSQL text-search configuration of message search (`simple`: no stemming, every language). */
  searchConfig: string;
  /** Threads idle for longer than this many days are deleted; undefined: kept forever. */
  retentionDays: number | undefined;
  /** How often the retention job looks for expired threads, in milliseconds. */
  retentionIntervalMs: number;
  /** Threads deleted per statement by the retention job and the purge command. */
  retentionBatchSize: number;
}

const SEARCH_CONFIG = /^[a-z_][a-z0-9_]{0,62}$/;

/** The text-search configuration alone: the migration that builds the search column reads it too. */
export function searchConfig(env: NodeJS.ProcessEnv = process.env): string {
  const raw = (env.SEARCH_CONFIG ?? '').trim();
  if (raw === '') return 'simple';
  if (!SEARCH_CONFIG.test(raw)) throw new ConfigError(`SEARCH_CONFIG must name a text-search configuration such as simple or english, got '${raw}'`);
  return raw;
}

export function loadDataConfig(env: NodeJS.ProcessEnv = process.env): DataConfig {
  return {
    searchConfig: searchConfig(env),
    retentionDays: integer(env, 'RETENTION_DAYS', undefined, 1, 100000),
    retentionIntervalMs: integer(env, 'RETENTION_INTERVAL_MS', 3600000, 1000, 86400000) as number,
    retentionBatchSize: integer(env, 'RETENTION_BATCH_SIZE', 100, 1, 10000) as number,
  };
}
