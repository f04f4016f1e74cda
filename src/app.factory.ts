import { INestApplication, LoggerService, LogLevel as NestLogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { json } from 'express';
import { AppModule, AppModuleOptions } from './app.module';
import { expressErrorHandler } from './common/errors/error.filter';
import { closeConnectionsWhenDraining, DrainState } from './common/http/drain';
import { checkJsonStructure, requireJsonBody } from './common/http/json-body.middleware';
import { requestTimeout } from './common/http/request-timeout.middleware';
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
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(options), {
    bodyParser: false,
    logger: logger ?? NEST_LEVELS[options.logLevel],
  });
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(closeConnectionsWhenDraining(app.get(DrainState)));
  app.use(requestTimeout(options.requestTimeoutMs));
  app.use(requireJsonBody);
  app.use(json({ limit: options.bodyLimitBytes, strict: true, type: 'application/json' }));
  app.use(checkJsonStructure);
  app.use(expressErrorHandler);
  setupApiDocs(app);
  await app.init();
  return app;
}
