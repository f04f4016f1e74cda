import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ApiError } from '../common/errors/api-error';
import { Queryable } from '../database/sql';
import { IdempotentRequest } from './idempotency-key.decorator';
import { IdempotencyRepository } from './idempotency.repository';

class AlreadyClaimed extends Error {}

@Injectable()
export class IdempotencyService implements OnModuleInit, OnModuleDestroy {
  private purgeTimer?: NodeJS.Timeout;

  private readonly logger = new Logger('IdempotencyService');

  constructor(private readonly keys: IdempotencyRepository) {}

  onModuleInit(): void {
    const purge = () => this.keys.purgeExpired().catch((error: Error) => this.logger.warn(`purging expired idempotency keys failed: ${error.message}`));
    this.purgeTimer = setInterval(() => void purge(), 60 * 60 * 1000);
    this.purgeTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.purgeTimer);
  }

  /**
   * Runs `create` once per key and tenant; a repeat of the same request gets the first response.
   * The key is claimed inside the transaction that creates: a concurrent request with the same
   * key waits until the first one commits (then replays its response) or rolls back (then claims
   * the key itself).
   */
  async run<T>(tenant: string, request: IdempotentRequest | undefined, create: (on?: Queryable) => Promise<T>): Promise<T> {
    if (!request) return create();
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await this.keys.transaction(async (tx) => {
          if (!(await this.keys.claim(tx, tenant, request.key, request.fingerprint))) throw new AlreadyClaimed();
          const response = await create(tx);
          await this.keys.saveResponse(tx, tenant, request.key, response);
          return response;
        });
      } catch (error) {
        if (!(error instanceof AlreadyClaimed)) throw error;
      }
      const first = await this.keys.find<T>(tenant, request.key);
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
