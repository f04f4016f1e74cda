import { Injectable } from '@nestjs/common';
import { Queryable, Sql, statement } from '../database/sql';

const RETENTION = `interval '24 hours'`;

/**
 * Claims the key (inside the transaction that creates). A concurrent claim of the same key waits
 * on the primary key until the first one commits or rolls back. An expired key is claimed again.
 */
const CLAIM = statement(`
  INSERT INTO idempotency_keys (tenant_id, key, fingerprint, created_at) VALUES ($1, $2, $3, now())
  ON CONFLICT (tenant_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, created_at = EXCLUDED.created_at, response = NULL
  WHERE idempotency_keys.created_at < now() - ${RETENTION}
  RETURNING 1 AS claimed`);
const SAVE = statement(`UPDATE idempotency_keys SET response = $3::json WHERE tenant_id = $1 AND key = $2`);
const FIND = statement(`
  SELECT fingerprint, response FROM idempotency_keys
  WHERE tenant_id = $1 AND key = $2 AND created_at >= now() - ${RETENTION}`);
const PURGE = statement(`DELETE FROM idempotency_keys WHERE created_at < now() - ${RETENTION}`);

/** A key's first request: its fingerprint, and its response once that request committed (null before). */
export interface IdempotencyRecord<T> {
  fingerprint: string;
  response: T | null;
}

/** Every statement on `idempotency_keys`; keys are kept for 24 hours. */
@Injectable()
export class IdempotencyRepository {
  constructor(private readonly sql: Sql) {}

  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.sql.transaction(work);
  }

  /** True when this request now holds the key; false when another (unexpired) request does. */
  async claim(tx: Queryable, tenant: string, key: string, fingerprint: string): Promise<boolean> {
    return (await this.sql.rows(CLAIM, [tenant, key, fingerprint], tx)).length > 0;
  }

  async saveResponse(tx: Queryable, tenant: string, key: string, response: unknown): Promise<void> {
    await this.sql.rows(SAVE, [tenant, key, JSON.stringify(response)], tx);
  }

  async find<T>(tenant: string, key: string): Promise<IdempotencyRecord<T> | undefined> {
    const [first] = await this.sql.rows<IdempotencyRecord<T>>(FIND, [tenant, key]);
    return first;
  }

  async purgeExpired(): Promise<void> {
    await this.sql.rows(PURGE, []);
  }
}
