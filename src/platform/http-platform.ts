import type { INestApplication } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import type { Logger } from 'pino';
import type { ApiRequest } from '../common/api-version/api-request';
import type { CorsPolicy } from '../common/http/cors';
import type { DrainState } from '../common/http/drain';
import type { UploadWatch } from '../common/http/upload-watch';
import type { RequestObserver } from '../observability/request-observer';

/**
 * The one seam between the app and its HTTP framework. Everything that knows Express or Fastify
 * lives in this folder, one file per platform; the rest of src/ reads requests through
 * `HttpRequest` (common/http/http-request.ts) and answers through Nest's adapter.
 */
export interface PlatformSettings {
  logger: Logger;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  /** CORS for the configured origins; off when undefined. */
  cors?: CorsPolicy;
  /** The bodies of uploads (POST /files), handed to their route unread and timed by their progress. */
  uploads: UploadWatch;
}

/**
 * Who may make a request, asked once its route is known and before its body is read: an error
 * to answer (with `connection: close` when a body is still coming), and headers to send either
 * way. `path` is the route's pattern or the decoded path; `client` the peer's address.
 */
export type Admit = (request: ApiRequest, path: string, rawHeaders: readonly string[], client: string) => { error?: unknown; headers?: Record<string, string> };

export interface PlatformHooks {
  drain: DrainState;
  observer: RequestObserver;
  admit: Admit;
}

export interface HttpPlatform {
  /** Given to NestFactory.create. */
  readonly adapter: AbstractHttpAdapter;
  /**
   * Called once, after NestFactory.create and before any route is added. From then on, every
   * request gets, in this order: a request id and its logger, the security headers (and
   * `Connection: close` while draining), CORS (a preflight is answered here), a deadline (504 in the envelope when it passes, and the
   * connection closed), its route (none: 404 without reading the body), admission (`admit`: key and rate limit), its JSON
   * body parsed within the size limit (400/413/415 in the envelope) or, on the upload route, any other body handed
   * through unread (`uploads`; its deadline counted from its last byte), then routing, where a URL
   * that is not valid percent-encoding is a 400 in the envelope; when it is answered, one log line
   * and the metrics.
   */
  install(app: INestApplication, hooks: PlatformHooks): void;
  /** After app.init(): the platform is ready to listen. */
  ready(): Promise<void>;
}
