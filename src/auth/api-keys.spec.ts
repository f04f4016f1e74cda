import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../config/app.config';
import { hashKey, keepGeneratedKey, loadApiKeys, maskKey, parseApiKeys } from './api-keys';

describe('API keys', () => {
  it('names tenants, derives one for a bare key, and lets keys share a tenant by name', () => {
    const keys = parseApiKeys('team:sk-first-key-0123456789, sk-bare-key-0123456789 ,team:sk-second-key-0123456789');
    expect(keys.map((k) => k.tenant)).toEqual(['team', expect.stringMatching(/^key-[0-9a-f]{16}$/), 'team']);
    expect(keys[1].hash.equals(hashKey('sk-bare-key-0123456789'))).toBe(true);
    expect(parseApiKeys('sk-bare-key-0123456789')[0].tenant).toBe(keys[1].tenant);
  });

  it('rejects short keys and empty lists', () => {
    expect(() => parseApiKeys('a:short')).toThrow(ConfigError);
    // 19 characters: guessable keys are refused, not only empty ones.
    expect(() => parseApiKeys('a:sk-0123456789abcdef')).toThrow(/at least 20 characters/);
    expect(parseApiKeys('a:sk-0123456789abcdefg')).toHaveLength(1);
    expect(() => parseApiKeys(' , ')).toThrow(ConfigError);
  });

  it('refuses one key given to two tenants, and keeps a key listed twice for one tenant once', () => {
    expect(() => parseApiKeys('acme:sk-acmeacmeacmeacmeacme01,beta:sk-acmeacmeacmeacmeacme01')).toThrow(
      "API_KEYS: one key is given to two tenants ('acme' and 'beta'); a key belongs to one tenant",
    );
    expect(parseApiKeys('acme:sk-acmeacmeacmeacmeacme01,acme:sk-acmeacmeacmeacmeacme01')).toHaveLength(1);
  });

  it('refuses characters a key cannot hold, naming API_KEYS: semicolons are not separators', () => {
    expect(() => parseApiKeys('a:sk-first-key-0123456789;b:sk-second-key-0123456789')).toThrow(/API_KEYS.*";".*commas/);
    expect(() => parseApiKeys('sk-key-with-\u00e9-accent')).toThrow(/API_KEYS/);
    expect(() => parseApiKeys('te nant:sk-first-key-0123456789')).toThrow(/API_KEYS: the tenant name/);
    expect(parseApiKeys('a:sk-AZaz09._~+/=-key-0123')).toHaveLength(1);
  });

  it('generates a key once, keeps it private in DATA_DIR and accepts it after a restart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    try {
      const first = loadApiKeys(undefined, dir);
      expect(first.source).toBe('generated');
      expect(first.newSecret).toMatch(/^sk-[0-9A-Za-z]{48}$/);
      // Nothing is kept until the service serves with the key: a failed start leaves no unseen key.
      expect(existsSync(join(dir, 'api-key'))).toBe(false);
      expect(loadApiKeys(undefined, dir).newSecret).not.toBe(first.newSecret);
      keepGeneratedKey(first);
      expect(statSync(join(dir, 'api-key')).mode & 0o077).toBe(0);
      const second = loadApiKeys(undefined, dir);
      expect(second.source).toBe('stored');
      expect(second.newSecret).toBeUndefined();
      expect(second.keys[0].hash.equals(hashKey(first.newSecret as string))).toBe(true);
      expect(readFileSync(join(dir, 'api-key'), 'utf8').trim()).toBe(first.newSecret);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('masks all but the first 3 and last 4 characters', () => {
    const masked = maskKey('sk-abcdefghijklmnopqrstuvwxyz1234');
    expect(masked.startsWith('sk-')).toBe(true);
    expect(masked.endsWith('1234')).toBe(true);
    expect(masked).not.toContain('abcdefgh');
  });
});
