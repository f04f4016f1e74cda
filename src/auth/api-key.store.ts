import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { Client, Notification } from 'pg';
import { DATABASE_SETTINGS, DatabaseSettings } from '../database/data-source';
import { API_KEYS, ApiKey, hashKey } from './api-keys';
import { ApiKeysRepository } from './api-keys.repository';

export const KEYS_CHANNEL = 'api_keys_changed';
const REFRESH_MS = 30_000;
const DEFAULT_POLL_MS = 5_000;
const FLUSH_MS = 10_000;
const RECONNECT_MS = 1_000;
const HASH_CACHE_SIZE = 1_000;
/** The listening connection: a connect that hangs fails, and a dead peer is noticed by TCP keep-alive. */
const LISTEN_CONNECT_TIMEOUT_MS = 3_000;
const LISTEN_KEEPALIVE_DELAY_MS = 10_000;

interface Hashed {
  hash: Buffer;
  hex: string;
}

interface StoredKey {
  id: string;
  tenantId: string;
}

/**
 * The keys a request may carry: those of API_KEYS, and the managed keys of the database, held
 * in memory so that checking a key costs no round trip. Every instance LISTENs for changes: a
 * revoked key is dropped as soon as its notification arrives, then the table is read again.
 * LISTEN needs a session of its own, which a pooler in transaction mode does not give: there it
 * listens on DATABASE_DIRECT_URL, and without one it reads the table every API_KEYS_POLL_MS, so
 * that a revoked key is refused by every instance within that interval.
 * Last-used times are written in batches.
 */
@Injectable()
export class ApiKeyStore implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ApiKeyStore');
  private stored = new Map<string, StoredKey>();
  /** Key id -> when it was last accepted (epoch milliseconds), until written. */
  private used = new Map<string, number>();
  private readonly hashes = new Map<string, Hashed>();
  private listener?: Client;
  private readonly lostClients = new WeakSet<Client>();
  private retry?: NodeJS.Timeout;
  private timers: NodeJS.Timeout[] = [];
  private closed = false;

  constructor(
    @Inject(API_KEYS) private readonly configured: readonly ApiKey[],
    private readonly repository: ApiKeysRepository,
    @Inject(DATABASE_SETTINGS) private readonly database: DatabaseSettings,
  ) {}

  /** Where to LISTEN for key changes; undefined when they are polled (transaction pooler, no direct URL). */
  get listenUrl(): string | undefined {
    if (this.database.directUrl) return this.database.directUrl;
    return this.database.poolMode === 'transaction' ? undefined : this.database.url;
  }

  async onModuleInit(): Promise<void> {
    await this.reload();
    const listenUrl = this.listenUrl;
    if (listenUrl) await this.listen().catch((error: Error) => this.logger.warn(`not listening for key changes yet: ${error.message}`));
    const refreshMs = listenUrl ? REFRESH_MS : (this.database.keyPollMs ?? DEFAULT_POLL_MS);
    this.timers = [
      setInterval(() => void this.reload().catch(this.warn('reading the API keys')), refreshMs),
      setInterval(() => void this.flushUsed().catch(this.warn('writing last-used times')), FLUSH_MS),
    ];
    for (const timer of this.timers) timer.unref();
  }

  /** A failed read or write is retried by its timer; it is logged, not thrown. */
  private warn(what: string): (error: Error) => void {
    return (error) => this.logger.warn(`${what} failed: ${error.message}`);
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    clearTimeout(this.retry);
    await this.flushUsed().catch(this.warn('writing last-used times'));
    await this.listener?.end().catch(() => undefined);
  }

  /**
   * The tenant of a presented secret, or undefined. Configured keys are compared in constant
   * time. The hash of a secret that was accepted is remembered (a bounded number of them), so
   * that a key in use is not hashed on every request; whether it is still valid is looked up
   * every time, so a revocation applies at once.
   */
  tenantOf(secret: string): string | undefined {
    return this.identify(secret)?.tenant;
  }

  /** The tenant of a presented secret and the key's identity (its SHA-256, hex: rate limits count per key), or undefined. */
  identify(secret: string): { tenant: string; key: string } | undefined {
    let hashed = this.hashes.get(secret);
    const known = hashed !== undefined;
    if (!hashed) {
      const hash = hashKey(secret);
      hashed = { hash, hex: hash.toString('hex') };
    }
    const tenant = this.lookup(hashed);
    if (tenant !== undefined && !known) {
      if (this.hashes.size >= HASH_CACHE_SIZE) this.hashes.clear();
      this.hashes.set(secret, hashed);
    }
    return tenant === undefined ? undefined : { tenant, key: hashed.hex };
  }

  private lookup({ hash, hex }: Hashed): string | undefined {
    let tenant: string | undefined;
    for (const key of this.configured) {
      if (timingSafeEqual(key.hash, hash)) tenant ??= key.tenant;
    }
    if (tenant !== undefined) return tenant;
    const stored = this.stored.get(hex);
    if (!stored) return undefined;
    this.used.set(stored.id, Date.now());
    return stored.tenantId;
  }

  async reload(): Promise<void> {
    const rows = await this.repository.active();
    this.stored = new Map(rows.map((row) => [row.hash, { id: row.id, tenantId: row.tenantId }]));
  }

  private async flushUsed(): Promise<void> {
    if (this.used.size === 0) return;
    const used = this.used;
    this.used = new Map();
    await this.repository.touch(used);
  }

  private async listen(): Promise<void> {
    const client = new Client({
      connectionString: this.listenUrl,
      application_name: 'assistants-threads-keys',
      connectionTimeoutMillis: LISTEN_CONNECT_TIMEOUT_MS,
      keepAlive: true,
      keepAliveInitialDelayMillis: LISTEN_KEEPALIVE_DELAY_MS,
    });
    client.on('notification', (notification: Notification) => this.onChange(notification.payload));
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${KEYS_CHANNEL}`);
    } catch (error) {
      this.lost(client);
      throw error;
    }
    this.listener = client;
  }

  private onChange(changedHash: string | undefined): void {
    if (changedHash) this.stored.delete(changedHash.trim());
    void this.reload().catch(this.warn('reading the API keys after a change'));
  }

  /** A listening connection was lost: listen again, then read the table (changes may have been missed). */
  private lost(client: Client): void {
    if (this.lostClients.has(client)) return;
    this.lostClients.add(client);
    client.removeAllListeners();
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.listener === client) this.listener = undefined;
    this.scheduleListen();
  }

  private scheduleListen(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.listen()
        .then(() => this.reload().catch(this.warn('reading the API keys after listening again')))
        .catch(() => this.scheduleListen());
    }, RECONNECT_MS);
    this.retry.unref();
  }
}
