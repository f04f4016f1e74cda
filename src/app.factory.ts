import { INestApplication, LoggerService, LogLevel as NestLogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { json, NextFunction, Request, Response } from 'express';
import { AppModule, AppModuleOptions } from './app.module';
import { ApiError } from './common/errors/api-error';
import { toErrorResponse } from './common/errors/error.filter';
import { LogLevel } from './config/app.config';
import { setupApiDocs } from './docs/api-docs';

export interface AppOptions extends AppModuleOptions {
  bodyLimitBytes: number;
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

function hasBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** A body that is not JSON would otherwise be silently ignored. */
function requireJsonBody(request: Request, response: Response, next: NextFunction): void {
  if (!hasBody(request) || request.is('application/json')) return next();
  const error = new ApiError(415, {
    message: `Unsupported content type '${request.headers['content-type'] ?? ''}'. Send the body as application/json.`,
    type: 'invalid_request_error',
    param: null,
    code: 'unsupported_media_type',
  });
  next(error);
}

/** Errors raised by the body parser, before Nest's router sees the request. */
function parserErrors(error: unknown, request: Request, response: Response, next: NextFunction): void {
  if (response.headersSent) return next(error);
  const { status, body } = toErrorResponse(error, request);
  response.status(status).type('application/json').send(JSON.stringify(body));
}

/** Builds the app exactly as production runs it; e2e tests use this same function. */
export async function createApp(options: AppOptions, logger?: LoggerService): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(options), {
    bodyParser: false,
    logger: logger ?? NEST_LEVELS[options.logLevel],
  });
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requireJsonBody);
  app.use(json({ limit: options.bodyLimitBytes, strict: true, type: 'application/json' }));
  app.use(parserErrors);
  setupApiDocs(app);
  await app.init();
  return app;
}
