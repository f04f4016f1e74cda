import { Controller, Get, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import { DrainState } from '../common/http/drain';
import { Sql } from '../database/sql';

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
      await Promise.race([this.sql.ping(), timeout(READY_TIMEOUT_MS)]);
    } catch {
      throw new ServiceUnavailableException();
    }
    return { status: 'ok', database: 'reachable' };
  }
}
