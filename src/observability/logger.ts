import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger } from 'pino';
import { LogLevel } from '../config/app.config';

/**
 * JSON lines on stdout (pretty when stdout is a terminal), or on the given stream. Headers are
 * never logged; the redaction is a second guard should a header object reach a log line.
 */
export function createLogger(level: LogLevel, stream?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'assistants-threads' },
    redact: { paths: ['req.headers.authorization', 'req.headers["api-key"]', 'headers.authorization', 'headers["api-key"]'], censor: '[redacted]' },
  };
  if (stream) return pino(options, stream);
  if (process.stdout.isTTY) return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard' } } });
  // Buffered, written asynchronously (and flushed at exit): a log line does not block a request.
  return pino(options, pino.destination({ dest: 1, sync: false, minLength: 4096 }));
}

/** Nest's start-up chatter (modules loaded, routes mapped): debug, not info. */
const FRAMEWORK_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/** Nest's own messages (start-up, errors) on the same logger. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    if (context && FRAMEWORK_CONTEXTS.has(context)) this.logger.debug({ context }, String(message));
    else this.logger.info({ context }, String(message));
  }

  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }

  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }

  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }

  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }

  fatal(message: unknown, context?: string): void {
    this.logger.fatal({ context }, String(message));
  }
}
