import { INestApplication, LoggerService, LogLevel as NestLogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppModule, AppModuleOptions } from './app.module';
import { toErrorResponse } from './common/errors/error.filter';
import { closeConnectionsWhenDraining, DrainState } from './common/http/drain';
import { registerJsonBodyParser } from './common/http/json-body';
import { registerRequestTimeout } from './common/http/request-timeout';
import { LogLevel } from './config/app.config';
import { setupApiDocs } from './docs/api-docs';

export interface AppOptions extends AppModuleOptions {
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  logLevel: LogLevel;
}

const NEST_LEVELS: Record<LogLevel, NestLogLevel[] | false> = {
  fatal: ['fatal'],
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  trace: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
  silent: false,
};

/** Builds the app exactly as production runs it; e2e tests use this same function. */
export async function createApp(options: AppOptions, logger?: LoggerService): Promise<INestApplication> {
  const adapter = new FastifyAdapter({
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
    logger: logger ?? NEST_LEVELS[options.logLevel],
  });
  const fastify = app.getHttpAdapter().getInstance();
  registerJsonBodyParser(fastify, options.bodyLimitBytes);
  registerRequestTimeout(fastify, options.requestTimeoutMs);
  closeConnectionsWhenDraining(fastify, app.get(DrainState));
  setupApiDocs(app);
  await app.init();
  await fastify.ready();
  return app;
}
