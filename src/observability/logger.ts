import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger } from 'pino';
import { LogLevel } from '../config/app.config';
import { GatheredLines } from './log-lines';

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
  return pino(options, stdoutLines());
}

let stdout: GatheredLines | undefined;

/**
 * stdout for every logger of the process: lines gathered (4 KiB, or 100 ms after the first) and
 * written asynchronously, so that a log line does not block a request, and flushed at exit.
 */
function stdoutLines(): GatheredLines {
  if (!stdout) {
    // Registered before the destination registers its own: at exit, the lines gathered here are handed on first.
    process.on('beforeExit', () => stdout?.flush());
    process.on('exit', () => stdout?.flushSync());
    stdout = new GatheredLines(pino.destination({ dest: 1, sync: false }), 1);
  }
  return stdout;
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
