import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/** `openai`: `/v1/...`; `azure`: `/openai/...?api-version=`. */
export type Dialect = 'openai' | 'azure';
/** The Assistants API edition the response is shaped for. */
export type Shape = 'v1' | 'v2';

export interface ApiRequest extends Request {
  tenant?: string;
  shape?: Shape;
}

export function isApiPath(path: string): boolean {
  return path.startsWith('/v1/') || path.startsWith('/openai/');
}

export function dialectOf(path: string): Dialect {
  return path.startsWith('/openai/') ? 'azure' : 'openai';
}

export const Tenant = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  return ctx.switchToHttp().getRequest<ApiRequest>().tenant as string;
});

export const ApiShape = createParamDecorator((_: unknown, ctx: ExecutionContext): Shape => {
  return ctx.switchToHttp().getRequest<ApiRequest>().shape ?? 'v2';
});
