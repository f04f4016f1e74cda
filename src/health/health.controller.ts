import { Controller, Get, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import { DrainState } from '../common/http/drain';
import { Sql, statement } from '../database/sql';

const PING = statement('SELECT 1');

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
      await this.sql.rows(PING, []);
    } catch {
      throw new ServiceUnavailableException();
    }
    return { status: 'ok', database: 'reachable' };
  }
}
