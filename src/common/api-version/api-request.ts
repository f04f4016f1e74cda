import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { HttpRequest } from '../http/http-request';

/** `openai`: `/v1/...`; `azure`: `/openai/...?api-version=`. */
export type Dialect = 'openai' | 'azure';
/** The Assistants API edition the response is shaped for. */
export type Shape = 'v1' | 'v2';

export interface ApiRequest extends HttpRequest {
  tenant?: string;
  shape?: Shape;
}

/**
 * The pattern of the route the request matched (`/v1/threads/:thread_id`), which the checks
 * below look at: the raw URL may spell the same route differently (`/%761/threads`).
 */
export function routeOf(request: HttpRequest): string {
  return request.routePattern ?? pathOf(request.url);
}

/** The request's path, without the query string. */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

export function isApiPath(url: string): boolean {
  return url.startsWith('/v1/') || url.startsWith('/openai/');
}

export function dialectOf(url: string): Dialect {
  return url.startsWith('/openai/') ? 'azure' : 'openai';
}

/**
 * The request of an HTTP context (its first argument): what `switchToHttp().getRequest()` gives, without
 * the three functions `switchToHttp` assigns to the context at each call (guards and parameter
 * decorators run on every request).
 */
export function requestOf<T = ApiRequest>(ctx: ExecutionContext): T {
  return ctx.getArgByIndex<T>(0);
}

export const Tenant = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  return requestOf(ctx).tenant as string;
});

export const ApiShape = createParamDecorator((_: unknown, ctx: ExecutionContext): Shape => {
  return requestOf(ctx).shape ?? 'v2';
});
