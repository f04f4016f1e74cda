import type { INestApplication, NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type Response } from 'express';
import * as http from 'node:http';
import { performance } from 'node:perf_hooks';
import * as nodeUrl from 'node:url';
import { pathOf, type ApiRequest } from '../common/api-version/api-request';
import { ApiError } from '../common/errors/api-error';
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
import { isStreamedUpload, type RawRequestBody } from '../common/http/raw-body';
import { RequestDeadlines, TIMEOUT_BODY } from '../common/http/request-timeout';
import { securityHeadersFor } from '../common/http/response-headers';
import { requestIdOf } from '../observability/request-id';
import { RequestLogger } from '../observability/request-logger';
import type { HttpPlatform, PlatformHooks, PlatformSettings } from './http-platform';

const JSON_TYPE = 'application/json; charset=utf-8';
/** The methods whose body is read, as Fastify has them. */
const BODY_METHODS = new Set(['DELETE', 'OPTIONS', 'PATCH', 'PUT', 'POST', 'QUERY']);
/** Fastify's `routerOptions.maxParamLength`: a longer path segment is a 414. */
const MAX_SEGMENT_LENGTH = 8192;

/** Node's legacy URL object, the one `parseurl` (Express's router) caches on a request. */
interface LegacyUrl {
  path: string;
  href: string;
  pathname: string;
  search: string | null;
  query: string | null;
  _raw: string;
}
const LegacyUrlClass = (nodeUrl as unknown as { Url: new () => LegacyUrl }).Url;

type ExpressApiRequest = Request & ApiRequest & { _parsedUrl?: { pathname?: string | null }; routeFound?: boolean };

interface RouterLayer {
  route?: { _handlesMethod(method: string): boolean };
  match(path: string): boolean;
}

/** Whether one of the app's routes takes this method and path (as the router will find it), before the body is read. */
function routeExists(instance: express.Express, method: string, path: string): boolean {
  const stack = (instance.router as unknown as { stack: RouterLayer[] }).stack;
  return stack.some((layer) => layer.route !== undefined && layer.route._handlesMethod(method) && layer.match(path));
}
type ErrorMiddleware = (error: unknown, request: Request, response: Response, next: NextFunction) => unknown;

/** Express's own errors that reach the app, as the API words them. */
function translate(error: unknown): unknown {
  // The router decoding a path parameter that is not valid percent-encoding.
  if (error instanceof URIError && (error as URIError & { status?: number }).status === 400) return ApiError.badPercentEncoding();
  return error;
}

/**
 * Node's request and response classes, with Express's prototypes (`app.request`, `app.response`) from
 * the start. Express gives each request and response those prototypes by `Object.setPrototypeOf` as
 * it takes them, and on V8 an object whose prototype changes after it was built keeps most of what a
 * request allocates alive through young collections: under load, 87-99 % of what survived one was
 * moved to the old generation (1-2 % built this way) and the RSS rose past 200 MiB (README,
 * Performance). Built with them, Express's `setPrototypeOf` finds the prototype already in place.
 */
function messagesWithExpressPrototypes(instance: express.Express): Pick<http.ServerOptions, 'IncomingMessage' | 'ServerResponse'> {
  return {
    IncomingMessage: withPrototype<typeof http.IncomingMessage>(http.IncomingMessage, instance.request),
    ServerResponse: withPrototype<typeof http.ServerResponse>(http.ServerResponse, instance.response),
  };
}

/** A constructor that builds what `Base` builds, with `prototype` as the built object's prototype. */
function withPrototype<T extends abstract new (...args: never[]) => object>(Base: T, prototype: object): T {
  function Built(this: object, ...args: unknown[]): void {
    Reflect.apply(Base as unknown as (...args: unknown[]) => void, this, args);
  }
  Built.prototype = prototype;
  return Built as unknown as T;
}

/**
 * Nest's error middleware (which runs the app's exception filter) gets Express's errors already
 * translated; the server builds requests and responses with Express's prototypes.
 */
class TranslatingExpressAdapter extends ExpressAdapter {
  override setErrorHandler(handler: ErrorMiddleware, prefix?: string): unknown {
    return super.setErrorHandler(((error, request, response, next) => handler(translate(error), request, response, next)) as ErrorMiddleware, prefix);
  }

  override initHttpServer(options: NestApplicationOptions): void {
    if (options.httpsOptions !== undefined || options.forceCloseConnections) return super.initHttpServer(options);
    const instance = this.getInstance<express.Express>();
    this.httpServer = http.createServer(messagesWithExpressPrototypes(instance), instance);
  }
}

/** `decodeURI` of a path, as Fastify's router does it: `%25` stays an encoded `%`, reserved characters stay encoded. */
function routingPath(path: string): string {
  if (!path.includes('%')) return path;
  return decodeURI(path.replace(/%25/g, '%2525'));
}

/**
 * Routes are matched on the decoded path, as on Fastify (`/%761/threads` is `/v1/threads`), while
 * `request.url` stays the URL as sent. Express's router reads the path through `parseurl`, which
 * takes a parsed URL cached on the request when it was parsed from the same `url`.
 */
function routeOnDecodedPath(request: ExpressApiRequest): void {
  const raw = request.url;
  const cut = raw.search(/[?#]/);
  const path = cut < 0 ? raw : raw.slice(0, cut);
  const decoded = routingPath(path);
  if (decoded.split('/').some((segment) => segment.length > MAX_SEGMENT_LENGTH)) throw ApiError.uriTooLong(MAX_SEGMENT_LENGTH);
  if (decoded === path) return;
  const parsed = new LegacyUrlClass();
  const search = cut < 0 ? null : raw.slice(cut);
  parsed.path = raw;
  parsed.href = raw;
  parsed.pathname = decoded;
  parsed.search = search;
  parsed.query = search === null ? null : search.slice(1);
  parsed._raw = raw;
  request._parsedUrl = parsed;
}

/** Fastify's test for a request without a body. */
function hasNoBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
}

function isJson(contentType: string): boolean {
  const semicolon = contentType.indexOf(';');
  return (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase() === 'application/json';
}

/**
 * JSON bodies only, within the size limit; the same rules and answers as the Fastify content-type
 * parser. The upload route's other bodies are handed through unread (`openUpload`).
 */
function jsonBodyParser(limit: number, openUpload: (request: Request, response: Response) => RawRequestBody) {
  return (request: Request, response: Response, next: NextFunction): void => {
    // No route: Nest's not-found answers 404, with the body never read.
    if (!BODY_METHODS.has(request.method) || !(request as ExpressApiRequest).routeFound) return next();
    const contentType = request.headers['content-type'];
    if (contentType === undefined && hasNoBody(request)) return next();
    // The upload route streams its body itself.
    if (
      (contentType === undefined || !isJson(contentType)) &&
      isStreamedUpload(request.method, (request as ExpressApiRequest)._parsedUrl?.pathname ?? pathOf(request.url))
    ) {
      request.body = openUpload(request, response);
      return next();
    }
    // A body refused is answered with its connection closed, as Fastify answers its body parser's errors.
    const refuse = (error: unknown) => {
      response.setHeader('connection', 'close');
      next(error);
    };
    if (contentType === undefined || !isJson(contentType)) return refuse(unsupportedMediaType(contentType));
    const encoding = unsupportedEncoding(request.headers['content-encoding']);
    if (encoding) return refuse(encoding);
    const declared = request.headers['content-length'] === undefined ? undefined : Number(request.headers['content-length']);
    if (declared !== undefined && declared > limit) return refuse(bodyTooLarge());
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      request.removeListener('data', onData);
      request.removeListener('end', onEnd);
      request.removeListener('error', onError);
      if (error === undefined) next();
      else refuse(error);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) return settle(bodyTooLarge());
      chunks.push(chunk);
    };
    const onError = (error: unknown) => settle(isClientAbort(error) ? clientClosedRequest() : error);
    const onEnd = () => {
      if (declared !== undefined && received !== declared) return settle(bodyLengthMismatch());
      try {
        request.body = parseJsonBody(Buffer.concat(chunks, received));
      } catch (error) {
        return settle(error);
      }
      settle();
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
  };
}

/**
 * Express 5: what most Nest deployments and their middleware expect. The same behaviour as the
 * Fastify platform, built from middleware: request id, logger, security headers and deadline
 * first, then the JSON body parser, then the routes.
 */
export function expressPlatform(settings: PlatformSettings): HttpPlatform {
  const instance = express();
  // As Fastify routes: case-sensitive, a trailing slash is another path; no ETag, no x-powered-by.
  instance.set('case sensitive routing', true);
  instance.set('strict routing', true);
  instance.set('etag', false);
  instance.disable('x-powered-by');
  const adapter = new TranslatingExpressAdapter(instance);
  return {
    adapter,
    install(_app: INestApplication, { drain, observer, admit }: PlatformHooks): void {
      Object.defineProperty(instance.request, 'routePattern', {
        get(this: Request) {
          return (this.route as { path?: string } | undefined)?.path;
        },
      });
      const deadlines = new RequestDeadlines<Response>(settings.requestTimeoutMs, (response) => {
        if (response.headersSent) return;
        response.statusCode = 504;
        // The connection is closed once answered: the rest of a stalled body is not waited for.
        response.setHeader('connection', 'close');
        response.setHeader('content-type', JSON_TYPE);
        response.end(TIMEOUT_BODY);
      });
      const { logger, cors } = settings;
      instance.use((req: Request, response: Response, next: NextFunction) => {
        const started = performance.now();
        const request = req as ExpressApiRequest;
        request.id = requestIdOf(request);
        request.log = new RequestLogger(logger, { request_id: request.id });
        const headers = securityHeadersFor(request.url);
        for (const name in headers) response.setHeader(name, headers[name]);
        response.setHeader('x-request-id', request.id);
        if (drain.draining) response.setHeader('connection', 'close');
        deadlines.start(response, response);
        response.once('finish', () => {
          deadlines.end(response);
          observer.answered(request, request.routePattern, response.statusCode, performance.now() - started);
        });
        response.once('close', () => {
          deadlines.end(response);
          // Closed by the client before the answer was sent: logged as 499 at info level (nginx's "client closed request").
          if (!response.writableFinished) observer.answered(request, request.routePattern, 499, performance.now() - started);
        });
        try {
          routeOnDecodedPath(request);
        } catch (error) {
          return next(error instanceof ApiError ? error : ApiError.badPercentEncoding());
        }
        if (cors) {
          const answer = cors.answer(request.method, request.headers);
          for (const name in answer.headers) response.setHeader(name, answer.headers[name]);
          if (answer.preflight) {
            response.statusCode = 204;
            return void response.end();
          }
        }
        next();
      });
      // The route, then who may call it, before the body is read.
      instance.use((req: Request, response: Response, next: NextFunction) => {
        const request = req as ExpressApiRequest;
        const path = request._parsedUrl?.pathname ?? pathOf(request.url);
        request.routeFound = routeExists(instance, request.method, path);
        const early = bodyFollows(request.headers);
        if (!request.routeFound) {
          if (early) response.setHeader('connection', 'close');
          return next();
        }
        const { error, headers } = admit(request, path, request.rawHeaders, request.socket.remoteAddress ?? '');
        if (headers) for (const name in headers) response.setHeader(name, headers[name]);
        if (error === undefined) return next();
        if (early) response.setHeader('connection', 'close');
        next(error);
      });
      // An upload is timed by its progress while its body arrives; its deadline counts from its last byte.
      const openUpload = (request: Request, response: Response) => settings.uploads.open(request, response, deadlines.suspend(response));
      instance.use(jsonBodyParser(settings.bodyLimitBytes, openUpload));
      adapter.getHttpServer()?.once('close', () => deadlines.close());
    },
    async ready(): Promise<void> {},
  };
}
