import { NotFoundException, type INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { performance } from 'node:perf_hooks';
import { parse as parseQueryString } from 'node:querystring';
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';
import { ApiError } from '../common/errors/api-error';
import { toErrorResponse } from '../common/errors/error.filter';
import { bodyFollows } from '../common/http/connection-limits';
import {
  bodyLengthMismatch,
  bodyTooLarge,
  clientClosedRequest,
  isClientAbort,
  parseJsonBody,
  unsupportedEncoding,
  unsupportedMediaType,
} from '../common/http/json-body';
import { isStreamedUpload } from '../common/http/raw-body';
import { responseJson } from '../common/http/raw-json';
import { RequestDeadlines, TIMEOUT_BODY } from '../common/http/request-timeout';
import { securityHeadersFor } from '../common/http/response-headers';
import type { ApiRequest } from '../common/api-version/api-request';
import { requestIdOf } from '../observability/request-id';
import { RequestLogger } from '../observability/request-logger';
import type { HttpPlatform, PlatformHooks, PlatformSettings } from './http-platform';

const JSON_TYPE = 'application/json; charset=utf-8';

/** What the platform keeps on a request (decorated: every request has both fields from the start). */
type TrackedRequest = FastifyRequest & { reply: FastifyReply | null; startedAt: number };
const MAX_PARAM_LENGTH = 8192;

/** Fastify's own errors that reach the app, as the API words them. */
function translate(error: unknown, request: FastifyRequest): unknown {
  if (isClientAbort(error)) return clientClosedRequest();
  switch ((error as FastifyError | undefined)?.code) {
    case 'FST_ERR_BAD_URL':
      return ApiError.badPercentEncoding();
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return bodyTooLarge();
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return unsupportedMediaType(request.headers['content-type']);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return bodyLengthMismatch();
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return ApiError.uriTooLong(MAX_PARAM_LENGTH);
    default:
      return error;
  }
}

type ErrorHandler = (this: FastifyInstance, error: unknown, request: FastifyRequest, reply: FastifyReply) => unknown;

/** Nest's error handler (which runs the app's exception filter) gets Fastify's errors already translated. */
class TranslatingFastifyAdapter extends FastifyAdapter {
  override setErrorHandler(handler: ErrorHandler): FastifyInstance {
    return super.setErrorHandler(function (this: FastifyInstance, error: unknown, request: FastifyRequest, reply: FastifyReply) {
      return handler.call(this, translate(error, request), request, reply);
    }) as FastifyInstance;
  }
}

/**
 * Fastify: the default platform (README, Performance). Request ids, the request log line and
 * timeouts are hooks; the body parser is a content-type parser; bad percent-encoding in a URL is
 * one of Fastify's `frameworkErrors`.
 */
export function fastifyPlatform(settings: PlatformSettings): HttpPlatform {
  const adapter = new TranslatingFastifyAdapter({
    loggerInstance: settings.logger,
    // No Nest middleware runs on Fastify (the platform's work is in its hooks): no middie hook on every request.
    skipMiddie: true,
    // One line per request is written by the request observer, not Fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    genReqId: requestIdOf,
    childLoggerFactory: (logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions) =>
      new RequestLogger(logger as Logger, bindings, options) as unknown as FastifyBaseLogger,
    bodyLimit: settings.bodyLimitBytes,
    // In-flight and kept-alive requests are finished during shutdown, not refused with 503.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Long ids are unknown ids (404), not 414s. The query read as Express reads it (Node's querystring, Express's
    // "simple" parser): the same values on either platform, bad percent-encoding included.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH, querystringParser: (query: string) => parseQueryString(query) },
    // A URL Fastify cannot route (bad percent-encoding) still gets the error envelope.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const { status, body } = toErrorResponse(translate(error, request), request);
      void reply.headers(securityHeadersFor(request.url)).header('x-request-id', request.id).code(status).type(JSON_TYPE).send(JSON.stringify(body));
    },
  });
  const fastify = adapter.getInstance() as FastifyInstance;
  return {
    adapter,
    install(_app: INestApplication, { drain, observer, admit }: PlatformHooks): void {
      fastify.decorateRequest('routePattern', {
        getter(this: FastifyRequest) {
          return this.routeOptions.url;
        },
      });
      const { cors } = settings;
      const deadlines = new RequestDeadlines<FastifyRequest, FastifyReply>(settings.requestTimeoutMs, (reply) => {
        // The connection is closed once answered: the rest of a stalled body is not waited for.
        if (!reply.sent && !reply.raw.headersSent) void reply.code(504).header('connection', 'close').type(JSON_TYPE).send(TIMEOUT_BODY);
      });
      // Per request, on the request itself: its reply (for the upload parser) and when it started (for a 499).
      fastify.decorateRequest('reply', null);
      fastify.decorateRequest('startedAt', 0);
      // One hook: the route is known here (Fastify routes before its hooks), the body not yet read.
      fastify.addHook('onRequest', (request, reply, done) => {
        const tracked = request as TrackedRequest;
        tracked.startedAt = performance.now();
        void reply.headers(securityHeadersFor(request.url));
        void reply.header('x-request-id', request.id);
        if (drain.draining) void reply.header('connection', 'close');
        if (cors) {
          const answer = cors.answer(request.method, request.headers);
          void reply.headers(answer.headers);
          if (answer.preflight) return void reply.code(204).send();
        }
        deadlines.start(request, reply);
        tracked.reply = reply;
        const route = request.routeOptions.url;
        const early = bodyFollows(request.headers);
        // No such route: 404 (Nest's not-found, worded by the error filter) without parsing a body.
        if (route === undefined) {
          if (early) void reply.header('connection', 'close');
          return done(early ? new NotFoundException() : undefined);
        }
        const { error, headers } = admit(request as unknown as ApiRequest, route, request.raw.rawHeaders, request.raw.socket.remoteAddress ?? '');
        if (headers) void reply.headers(headers);
        if (error === undefined) return done();
        if (early) void reply.header('connection', 'close');
        done(error as Error);
      });
      // A client that closes its connection before the answer is logged as 499 at info level (nginx's "client closed request").
      fastify.addHook('onRequestAbort', (request, done) => {
        deadlines.end(request);
        observer.answered(
          request as unknown as ApiRequest,
          request.routeOptions.url,
          499,
          performance.now() - ((request as TrackedRequest).startedAt || performance.now()),
        );
        done();
      });
      fastify.addHook('onResponse', (request, reply, done) => {
        deadlines.end(request);
        observer.answered(request as unknown as ApiRequest, request.routeOptions.url, reply.statusCode, reply.elapsedTime);
        done();
      });
      fastify.addHook('onClose', (_instance, done) => {
        deadlines.close();
        done();
      });

      // A json column read as its text (RawJson) is written as it is, not parsed and serialised again.
      fastify.setReplySerializer((payload) => responseJson(payload));

      fastify.removeAllContentTypeParsers();
      fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: settings.bodyLimitBytes }, (request, body, done) => {
        const encoding = unsupportedEncoding(request.headers['content-encoding']);
        if (encoding) return done(encoding, undefined);
        try {
          done(null, parseJsonBody(typeof body === 'string' ? Buffer.from(body, 'utf8') : body));
        } catch (error) {
          done(error as Error, undefined);
        }
      });
      // The upload route streams its body itself (multipart): handed through unread, timed by its progress while it
      // arrives, its deadline counted from its last byte.
      fastify.addContentTypeParser('*', (request: FastifyRequest, _payload, done) => {
        const { reply } = request as TrackedRequest;
        if (!reply || !isStreamedUpload(request.method, request.routeOptions.url ?? ''))
          return done(unsupportedMediaType(request.headers['content-type']), undefined);
        done(null, settings.uploads.open(request.raw, reply.raw, deadlines.suspend(request)));
      });
    },
    async ready(): Promise<void> {
      await fastify.ready();
    },
  };
}
