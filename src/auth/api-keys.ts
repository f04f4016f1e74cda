import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

/** What a bearer token can carry (RFC 6750's b64token): a key with any other character could never be sent. */
const KEY_CHARACTERS = /^[A-Za-z0-9._~+/=-]+$/;
const TENANT_NAME = /^[A-Za-z0-9._-]{1,128}$/;
/** Shorter keys can be guessed or remembered from a glance; generated keys have 51 characters. */
const MIN_KEY_LENGTH = 20;

export function parseApiKeys(raw: string): ApiKey[] {
  const keys: ApiKey[] = [];
  for (const entry of raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const colon = entry.indexOf(':');
    const [tenant, secret] = colon > 0 ? [entry.slice(0, colon), entry.slice(colon + 1)] : [undefined, entry];
    if (tenant !== undefined && !TENANT_NAME.test(tenant)) {
      throw new ConfigError(
        `API_KEYS: the tenant name '${tenant.slice(0, 40)}' may hold only letters, digits, ` +
          `dots, dashes and underscores (API_KEYS is a comma-separated list of name:key or key)`,
      );
    }
    if (!KEY_CHARACTERS.test(secret)) {
      const bad = [...secret].find((character) => !KEY_CHARACTERS.test(character)) ?? '';
      throw new ConfigError(
        `API_KEYS: a key holds ${JSON.stringify(bad)}, which a key cannot hold (letters, ` +
          `digits and . _ ~ + / = - only); separate entries with commas: name:key,name:key`,
      );
    }
    if (secret.length < MIN_KEY_LENGTH) {
      throw new ConfigError(`API_KEYS entries must be keys of at least ${MIN_KEY_LENGTH} characters, optionally as name:key`);
    }
    const key = { tenant: tenant ?? tenantOfBareKey(secret), hash: hashKey(secret) };
    const same = keys.find((other) => other.hash.equals(key.hash));
    // A key names one tenant: given to two, all but the first would be silently ignored.
    if (same && same.tenant !== key.tenant) {
      throw new ConfigError(
        `API_KEYS: one key is given to two tenants ('${same.tenant.slice(0, 40)}' and '${key.tenant.slice(0, 40)}'); a key belongs to one tenant`,
      );
    }
    if (!same) keys.push(key);
  }
  if (keys.length === 0) throw new ConfigError('API_KEYS is set but holds no key');
  return keys;
}

export function newSecretKey(): string {
  return `sk-${randomBase62(48)}`;
}

/**
 * API_KEYS when set; else the key kept in DATA_DIR, or a new one. A new key is kept (and shown) by
 * `keepGeneratedKey` once the service serves with it, so a start that fails shows and keeps nothing.
 */
export function loadApiKeys(apiKeys: string | undefined, dataDir: string): ApiKeySetup {
  if (apiKeys) return { keys: parseApiKeys(apiKeys), source: 'API_KEYS' };
  const keyFile = join(dataDir, 'api-key');
  if (existsSync(keyFile)) {
    const secret = readFileSync(keyFile, 'utf8').trim();
    return { keys: [{ tenant: 'default', hash: hashKey(secret) }], source: 'stored', keyFile };
  }
  const secret = newSecretKey();
  return { keys: [{ tenant: 'default', hash: hashKey(secret) }], source: 'generated', newSecret: secret, keyFile };
}

/** Writes a generated key to DATA_DIR (readable by its owner only), so that restarts accept it. */
export function keepGeneratedKey(setup: ApiKeySetup): void {
  if (!setup.newSecret || !setup.keyFile) return;
  mkdirSync(dirname(setup.keyFile), { recursive: true });
  writeFileSync(setup.keyFile, setup.newSecret + '\n', { mode: 0o600, flag: 'wx' });
}

export function maskKey(secret: string): string {
  if (secret.length <= 7) return '*'.repeat(secret.length);
  return `${secret.slice(0, 3)}${'*'.repeat(Math.min(secret.length - 7, 24))}${secret.slice(-4)}`;
}

/** Injection token for the accepted keys. */
export const API_KEYS = Symbol('API_KEYS');
