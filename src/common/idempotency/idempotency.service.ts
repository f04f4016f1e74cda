import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Queryable, Sql, statement } from '../../database/sql';
import { ApiError } from '../errors/api-error';
import { IdempotentRequest } from './idempotency-key.decorator';

const RETENTION = `interval '24 hours'`;

/**
 * Claims the key inside the transaction that creates. A concurrent request with the same key
 * waits on the primary key until the first one commits (then replays its response) or rolls
 * back (then claims the key itself). An expired key is claimed again.
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

class AlreadyClaimed extends Error {}

@Injectable()
export class IdempotencyService implements OnModuleInit, OnModuleDestroy {
  private purgeTimer?: NodeJS.Timeout;

  constructor(private readonly sql: Sql) {}

  onModuleInit(): void {
    this.purgeTimer = setInterval(() => void this.sql.rows(PURGE, []).catch(() => undefined), 60 * 60 * 1000);
    this.purgeTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.purgeTimer);
  }

  /** Runs `create` once per key and tenant; a repeat of the same request gets the first response. */
  async run<T>(tenant: string, request: IdempotentRequest | undefined, create: (on?: Queryable) => Promise<T>): Promise<T> {
    if (!request) return create();
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await this.sql.transaction(async (tx) => {
          const claimed = await this.sql.rows(CLAIM, [tenant, request.key, request.fingerprint], tx);
          if (claimed.length === 0) throw new AlreadyClaimed();
          const response = await create(tx);
          await this.sql.rows(SAVE, [tenant, request.key, JSON.stringify(response)], tx);
          return response;
        });
      } catch (error) {
        if (!(error instanceof AlreadyClaimed)) throw error;
      }
      const [first] = await this.sql.rows<{ fingerprint: string; response: T | null }>(FIND, [tenant, request.key]);
      if (!first) continue;
      if (first.fingerprint !== request.fingerprint) {
        throw ApiError.badRequest(
          `This Idempotency-Key was already used with a different request. Use a new key for a new request.`,
          'Idempotency-Key',
          'idempotency_key_reused',
        );
      }
      if (first.response !== null) return first.response;
    }
    throw ApiError.conflict(`A request with this Idempotency-Key is still being processed. Retry shortly.`);
  }
}
