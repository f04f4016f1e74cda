import './runtime/async-resource-bind';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Pool } from 'pg';
import type { DestinationStream } from 'pino';
import { AppModule, AppModuleOptions } from './app.module';
import { answerClientErrors } from './common/http/client-errors';
import { CorsPolicy } from './common/http/cors';
import { DrainState } from './common/http/drain';
import { HttpPlatformName, LogLevel } from './config/app.config';
import { PG_POOL } from './database/sql';
import { setupApiDocs } from './docs/api-docs';
import { createLogger, NestPinoLogger } from './observability/logger';
import { RequestObserver, serveMetrics } from './observability/request-observer';
import { expressPlatform } from './platform/express.platform';
import { fastifyPlatform } from './platform/fastify.platform';
import type { HttpPlatform, PlatformSettings } from './platform/http-platform';

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
}

const PLATFORMS: Record<HttpPlatformName, (settings: PlatformSettings) => HttpPlatform> = {
  fastify: fastifyPlatform,
  express: expressPlatform,
};

/** Builds the app exactly as production runs it; e2e tests use this same function. */
export async function createApp(options: AppOptions): Promise<INestApplication> {
  const logger = createLogger(options.logLevel, options.logStream);
  const platform = PLATFORMS[options.platform ?? 'fastify']({
    logger,
    bodyLimitBytes: options.bodyLimitBytes,
    requestTimeoutMs: options.requestTimeoutMs,
    cors: CorsPolicy.of(options.corsOrigins),
  });
  // Statements are cancelled a little before their request would be answered 504.
  const database = { ...options.database, queryTimeoutMs: Math.floor(options.requestTimeoutMs * 0.8) };
  const app = await NestFactory.create(AppModule.forRoot({ ...options, database }), platform.adapter, {
    bodyParser: false,
    logger: new NestPinoLogger(logger),
  });
  const observer = new RequestObserver(app.get<symbol, Pool>(PG_POOL));
  platform.install(app, { drain: app.get(DrainState), observer });
  answerClientErrors(app.getHttpServer());
  serveMetrics(app, observer);
  setupApiDocs(app);
  await app.init();
  await platform.ready();
  return app;
}
