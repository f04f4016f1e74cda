import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/app.config';
import { randomBase62 } from '../common/ids';

export interface ApiKey {
  tenant: string;
  hash: Buffer;
}

export interface ApiKeySetup {
  keys: ApiKey[];
  /** Where the keys come from, for the start-up banner. */
  source: 'API_KEYS' | 'generated' | 'stored';
  /** The generated secret, set only on the start that created it. */
  newSecret?: string;
  keyFile?: string;
}

export const hashKey = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

const tenantOfBareKey = (secret: string): string => `key-${hashKey(secret).toString('hex').slice(0, 16)}`;

export function parseApiKeys(raw: string): ApiKey[] {
  const keys: ApiKey[] = [];
  for (const entry of raw.split(',').map((part) => part.trim()).filter(Boolean)) {
    const colon = entry.indexOf(':');
    const [tenant, secret] = colon > 0 ? [entry.slice(0, colon), entry.slice(colon + 1)] : [undefined, entry];
    if (secret.length < 8 || /\s/.test(secret)) {
      throw new ConfigError('API_KEYS entries must be keys of at least 8 characters without spaces, optionally as name:key');
    }
    keys.push({ tenant: tenant ?? tenantOfBareKey(secret), hash: hashKey(secret) });
  }
  if (keys.length === 0) throw new ConfigError('API_KEYS is set but holds no key');
  return keys;
}

export function newSecretKey(): string {
  return `sk-${randomBase62(48)}`;
}

/** API_KEYS when set; else a key generated once and kept in DATA_DIR so that it survives restarts. */
export function loadApiKeys(apiKeys: string | undefined, dataDir: string): ApiKeySetup {
  if (apiKeys) return { keys: parseApiKeys(apiKeys), source: 'API_KEYS' };
  const keyFile = join(dataDir, 'api-key');
  if (existsSync(keyFile)) {
    const secret = readFileSync(keyFile, 'utf8').trim();
    return { keys: [{ tenant: 'default', hash: hashKey(secret) }], source: 'stored', keyFile };
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = newSecretKey();
  writeFileSync(keyFile, secret + '\n', { mode: 0o600, flag: 'wx' });
  return { keys: [{ tenant: 'default', hash: hashKey(secret) }], source: 'generated', newSecret: secret, keyFile };
}

export function maskKey(secret: string): string {
  if (secret.length <= 7) return '*'.repeat(secret.length);
  return `${secret.slice(0, 3)}${'*'.repeat(Math.min(secret.length - 7, 24))}${secret.slice(-4)}`;
}


/** Injection token for the accepted keys. */
export const API_KEYS = Symbol('API_KEYS');
