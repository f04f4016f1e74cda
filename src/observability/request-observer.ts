import type { INestApplication } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Pool } from 'pg';
import { collectDefaultMetrics, Gauge, register, Registry } from 'prom-client';
import type { ApiRequest } from '../common/api-version/api-request';
import { RequestMetrics } from './request-metrics';

function poolMetrics(registry: Registry, pool: Pool): void {
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge('db_pool_connections', 'Open connections of the database pool', () => pool.totalCount);
  gauge('db_pool_idle_connections', 'Idle connections of the database pool', () => pool.idleCount);
  gauge('db_pool_waiting_requests', 'Queries waiting for a connection of the database pool', () => pool.waitingCount);
}

/**
 * Each answered request, once: one structured log line on the request's logger (which carries
 * its request id: method, route, status, duration and tenant, never a key, a header or a body),
 * and the Prometheus metrics served at `GET /metrics` (requests and latency by route and status,
 * the database pool, the process). Each platform (src/platform) calls `answered` when a response
 * has been sent.
 */
export class RequestObserver {
  private readonly registry = new Registry();
  private readonly requests: RequestMetrics;

  constructor(pool: Pool) {
    collectDefaultMetrics({ register: this.registry });
    poolMetrics(this.registry, pool);
    this.requests = new RequestMetrics(this.registry);
  }

  /** `route` is the pattern of the matched route, not its path: ids stay out of log fields and metric labels. */
  answered(request: ApiRequest, route: string | undefined, status: number, elapsedMs: number): void {
    const label = route ?? 'unmatched';
    this.requests.record(request.method, label, status, elapsedMs / 1000);
    request.log.info({ method: request.method, route: label, status, duration_ms: Math.round(elapsedMs * 100) / 100, tenant: request.tenant }, 'request');
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** With the process-wide registry's metrics (features' own, such as retention's). */
  metrics(): Promise<string> {
    return Registry.merge([this.registry, register]).metrics();
  }
}

const METRICS_REFUSED = JSON.stringify({
  error: {
    message: 'The metrics need the token of METRICS_TOKEN: Authorization: Bearer TOKEN.',
    type: 'invalid_request_error',
    param: null,
    code: 'invalid_api_key',
  },
});

/** Compares in constant time, whatever the lengths. */
function sameToken(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** `GET /metrics`: the Prometheus text format; with a token, only for `Authorization: Bearer TOKEN` (401 otherwise). */
export function serveMetrics(app: INestApplication, observer: RequestObserver, token?: string): void {
  const http = app.getHttpAdapter();
  http.get('/metrics', async (request: { headers: IncomingHttpHeaders }, response: unknown) => {
    if (token !== undefined) {
      const presented = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
      if (!sameToken(presented, token)) {
        http.setHeader(response, 'content-type', 'application/json; charset=utf-8');
        http.setHeader(response, 'www-authenticate', 'Bearer');
        return http.reply(response, METRICS_REFUSED, 401);
      }
    }
    const text = await observer.metrics();
    http.setHeader(response, 'content-type', observer.contentType);
    http.reply(response, text, 200);
  });
}
