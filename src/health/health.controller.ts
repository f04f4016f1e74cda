import { Controller, Get, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import { DrainState } from '../common/http/drain';
import { Sql, statement } from '../database/sql';

/**
 * Not `SELECT 1`: a connection that answers is not enough. The probe reads (by key, no row
 * found) every table a request uses, on the same path as the requests' statements (prepared or
 * not, with the statement timeout of the pool mode), so a missing table, a missing privilege or a
 * pooler that breaks statements makes the service unready, as it makes its requests fail.
 */
const PROBE = statement(`
  SELECT EXISTS (SELECT 1 FROM threads WHERE id = $1 AND tenant_id = $1)
    OR EXISTS (SELECT 1 FROM messages WHERE thread_id = $1 AND id = $1)
    OR EXISTS (SELECT 1 FROM idempotency_keys WHERE tenant_id = $1 AND key = $1)
    OR EXISTS (SELECT 1 FROM api_keys WHERE id = $1) AS found`);
/** Readiness answers within this, even when the network to the database hangs without failing. */
const READY_TIMEOUT_MS = 2000;

function timeout(ms: number): Promise<never> {
  return new Promise((_resolve, reject) => setTimeout(() => reject(new Error('database ping timed out')), ms).unref());
}

@Controller()
export class HealthController {
  constructor(
    private readonly sql: Sql,
    private readonly drain: DrainState,
  ) {}

  @Get('healthz')
  @HttpCode(200)
  alive() {
    return { status: 'ok' };
  }

  @Get('readyz')
  async ready() {
    if (this.drain.draining) throw new ServiceUnavailableException();
    try {
      await Promise.race([this.sql.rows(PROBE, ['']), timeout(READY_TIMEOUT_MS)]);
    } catch {
      throw new ServiceUnavailableException();
    }
    return { status: 'ok', database: 'reachable' };
  }
}
