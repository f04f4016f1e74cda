import './runtime/async-resource-bind';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Server } from 'node:http';
import type { Pool } from 'pg';
import type { DestinationStream } from 'pino';
import { AppModule, AppModuleOptions } from './app.module';
import { Admission } from './auth/admission';
import { ApiKeyStore } from './auth/api-key.store';
import { answerClientErrors } from './common/http/client-errors';
import { limitConnections } from './common/http/connection-limits';
import { CorsPolicy } from './common/http/cors';
import { DrainState } from './common/http/drain';
import { UploadWatch } from './common/http/upload-watch';
import { ConnectionSettings, DEFAULT_CONNECTIONS, HttpPlatformName, LogLevel } from './config/app.config';
import { PG_POOL } from './database/sql';
import { setupApiDocs } from './docs/api-docs';
import { createLogger, NestPinoLogger } from './observability/logger';
import { RequestObserver, serveMetrics } from './observability/request-observer';
import { fastifyPlatform } from './platform/fastify.platform';
import type { HttpPlatform, PlatformSettings } from './platform/http-platform';
import { takeRouteStepsAtOnce } from './platform/route-steps';

export interface AppOptions extends AppModuleOptions {
  /** The HTTP framework under Nest; Fastify when unset. */
  platform?: HttpPlatformName;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  logLevel: LogLevel;
  /** Origins allowed to call the API from a browser; none (CORS off) when empty. */
  corsOrigins?: string[];
  /** Where log lines go (tests); stdout when unset. */
  logStream?: DestinationStream;
  /** Header, body and idle timeouts, and the most connections; the documented defaults when unset. */
  connections?: ConnectionSettings;
  /** Requests per minute per key; none (0) when unset. */
  rateLimitPerMinute?: number;
  /** Failed authentications per minute per client address; none (0) when unset. */
  authFailuresPerMinute?: number;
  /** Bearer token `GET /metrics` requires; open when unset. */
  metricsToken?: string;
  /** Serve `/docs` and `/openapi.json`; true when unset. */
  docsEnabled?: boolean;
}

/** Express (and its Nest adapter) is loaded only when chosen: a Fastify process does not carry it. */
const PLATFORMS: Record<HttpPlatformName, (settings: PlatformSettings) => HttpPlatform> = {
  fastify: fastifyPlatform,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  express: (settings) => (require('./platform/express.platform') as typeof import('./platform/express.platform')).expressPlatform(settings),
};

/** Builds the app exactly as production runs it; e2e tests use this same function. */
export async function createApp(options: AppOptions): Promise<INestApplication> {
  takeRouteStepsAtOnce();
  const logger = createLogger(options.logLevel, options.logStream);
  const connections = options.connections ?? DEFAULT_CONNECTIONS;
  const uploads = new UploadWatch(connections.uploadIdleTimeoutMs);
  const platform = PLATFORMS[options.platform ?? 'fastify']({
    logger,
    bodyLimitBytes: options.bodyLimitBytes,
    requestTimeoutMs: options.requestTimeoutMs,
    cors: CorsPolicy.of(options.corsOrigins),
    uploads,
  });
  // Statements are cancelled a little before their request would be answered 504.
  const database = { ...options.database, queryTimeoutMs: Math.floor(options.requestTimeoutMs * 0.8) };
  const app = await NestFactory.create(AppModule.forRoot({ ...options, database }), platform.adapter, {
    bodyParser: false,
    logger: new NestPinoLogger(logger),
  });
  const observer = new RequestObserver(app.get<symbol, Pool>(PG_POOL));
  const admission = new Admission(app.get(ApiKeyStore), {
    rateLimitPerMinute: options.rateLimitPerMinute ?? 0,
    authFailuresPerMinute: options.authFailuresPerMinute ?? 0,
  });
  platform.install(app, { drain: app.get(DrainState), observer, admit: (...args) => admission.admit(...args) });
  const server = app.getHttpServer() as Server;
  answerClientErrors(server, (socket) => uploads.isReceiving(socket));
  limitConnections(server, connections);
  server.once('close', () => uploads.close());
  serveMetrics(app, observer, options.metricsToken);
  if (options.docsEnabled ?? true) setupApiDocs(app);
  await app.init();
  await platform.ready();
  return app;
}
