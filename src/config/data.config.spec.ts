import { ConfigError } from './app.config';
import { loadDataConfig, searchConfig } from './data.config';

describe('loadDataConfig', () => {
  it('has the documented defaults: simple search, keep forever', () => {
    expect(loadDataConfig({})).toEqual({ searchConfig: 'simple', retentionDays: undefined, retentionIntervalMs: 3600000, retentionBatchSize: 100 });
  });

  it('reads every variable', () => {
    expect(loadDataConfig({ SEARCH_CONFIG: 'english', RETENTION_DAYS: '30', RETENTION_INTERVAL_MS: '60000', RETENTION_BATCH_SIZE: '500' })).toEqual({
      searchConfig: 'english',
      retentionDays: 30,
      retentionIntervalMs: 60000,
      retentionBatchSize: 500,
    });
  });

  it.each([
    [{ SEARCH_CONFIG: "english'; DROP TABLE threads; --" }, /SEARCH_CONFIG/],
    [{ RETENTION_DAYS: '0' }, /RETENTION_DAYS/],
    [{ RETENTION_DAYS: '30d' }, /RETENTION_DAYS/],
    [{ RETENTION_BATCH_SIZE: '0' }, /RETENTION_BATCH_SIZE/],
    [{ RETENTION_INTERVAL_MS: '10' }, /RETENTION_INTERVAL_MS/],
  ])('refuses %j naming the variable', (env, name) => {
    expect(() => loadDataConfig(env)).toThrow(ConfigError);
    expect(() => loadDataConfig(env)).toThrow(name);
  });

  it('only a configuration name can reach the SQL', () => {
    expect(searchConfig({ SEARCH_CONFIG: ' german ' })).toBe('german');
    expect(() => searchConfig({ SEARCH_CONFIG: 'pg_catalog.english' })).toThrow(ConfigError);
  });
});
