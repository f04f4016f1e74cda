import './runtime/async-resource-bind';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Pool } from 'pg';
import type { DestinationStream } from 'pino';
import { AppModule, AppModuleOptions } from './app.module';
import { toErrorResponse } from './common/errors/error.filter';
import { DrainState } from './common/http/drain';
import { registerJsonBodyParser } from './common/http/json-body';
import { registerRequestTimeout } from './common/http/request-timeout';
import { registerResponseHeaders } from './common/http/response-headers';
import { LogLevel } from './config/app.config';
import { PG_POOL } from './database/sql';
import { setupApiDocs } from './docs/api-docs';
import { createLogger, NestPinoLogger } from './observability/logger';
import { requestIdOf } from './observability/request-id';
import { registerRequestObserver } from './observability/request-observer';

export interface AppOptions extends AppModuleOptions {
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  logLevel: LogLevel;
  /** Origins allowed to call the API from a browser; none (CORS off) when empty. */
  corsOrigins?: string[];
  /** Where log lines go (tests); stdout when unset. */
  logStream?: DestinationStream;
}

/** Builds the app exactly as production runs it; e2e tests use this same function. */
export async function createApp(options: AppOptions): Promise<INestApplication> {
  const logger = createLogger(options.logLevel, options.logStream);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    // One line per request is written by the request observer, not Fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    genReqId: requestIdOf,
    bodyLimit: options.bodyLimitBytes,
    // In-flight and kept-alive requests are finished during shutdown, not refused with 503.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Long ids are unknown ids (404), not 414s.
    routerOptions: { maxParamLength: 8192 },
    // A URL Fastify cannot route (bad percent-encoding) still gets the error envelope.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => {
      const { status, body } = toErrorResponse(error, request);
      void reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
    },
  });
  // Statements are cancelled a little before their request would be answered 504.
  const database = { ...options.database, queryTimeoutMs: Math.floor(options.requestTimeoutMs * 0.8) };
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot({ ...options, database }), adapter, {
    bodyParser: false,
    logger: new NestPinoLogger(logger),
  });
  const fastify = app.getHttpAdapter().getInstance();
  registerResponseHeaders(fastify, app.get(DrainState));
  registerRequestObserver(fastify, app.get<symbol, Pool>(PG_POOL));
  registerJsonBodyParser(fastify, options.bodyLimitBytes);
  registerRequestTimeout(fastify, options.requestTimeoutMs);
  if (options.corsOrigins && options.corsOrigins.length > 0) {
    app.enableCors({ origin: options.corsOrigins.includes('*') ? true : options.corsOrigins, exposedHeaders: ['x-request-id'] });
  }
  setupApiDocs(app);
  await app.init();
  await fastify.ready();
  return app;
}
