import { ForbiddenException, type ArgumentMetadata, type CanActivate, type PipeTransform, type Type } from '@nestjs/common';
import { FORBIDDEN_MESSAGE } from '@nestjs/core/guards/constants';
import type { HandlerMetadata } from '@nestjs/core/helpers/handler-metadata-storage';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { STATIC_CONTEXT } from '@nestjs/core/injector/constants';
import { ParamsTokenFactory } from '@nestjs/core/pipes/params-token-factory';
import { markRejectedByPipes } from '@nestjs/core/router/rejected-by-pipes';
import { RouterExecutionContext, type ParamProperties } from '@nestjs/core/router/router-execution-context';

type RouteHandler = (req: unknown, res: unknown, next: unknown) => Promise<void> | void;
type CreateArgs = Parameters<RouterExecutionContext['create']>;

/** The members of Nest's RouterExecutionContext its `create` builds a route's handler from. */
interface RouterInternals {
  getMetadata: RouterExecutionContext['getMetadata'];
  getParamValue: RouterExecutionContext['getParamValue'];
  isPipeable: RouterExecutionContext['isPipeable'];
  contextUtils: { mergeParamsMetatypes(params: ParamProperties[], paramtypes: unknown[] | undefined): (ParamProperties & { metatype?: unknown })[] };
  pipesContextCreator: { create(...args: unknown[]): PipeTransform[] };
  guardsContextCreator: { create(...args: unknown[]): CanActivate[] };
  interceptorsContextCreator: { create(...args: unknown[]): unknown[] };
  guardsConsumer: { pickResult(answer: unknown): Promise<boolean> };
  responseController: { setStatus(res: unknown, status: number): void; setHeaders(res: unknown, headers: HandlerMetadata['responseHeaders']): void };
}

interface Step {
  index: number;
  extract: (req: unknown, res: unknown, next: unknown) => unknown;
  pipeable: boolean;
  pipes: PipeTransform[];
  /** What Nest hands each pipe. */
  metadata: ArgumentMetadata;
  /** What Nest's own resolution takes. */
  nestMetadata: { metatype: unknown; type: never; data: unknown };
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
const settleQuietly = (value: PromiseLike<unknown>) => void Promise.resolve(value).catch(() => undefined);
const tokens = new ParamsTokenFactory();

/**
 * A route's handler as Nest's RouterExecutionContext builds it (guards in order, status and headers,
 * every parameter through its pipes, the handler, the response), with each step taken at once when it
 * answers at once. Nest awaits every step of every parameter: a created thread went through about
 * thirty promises before its handler ran. Anything that does not answer at once is left to Nest's own
 * steps: a guard's promise is awaited as Nest awaits it, and when a pipe throws or answers with a
 * promise, the parameters are resolved again from their extracted values by Nest's own resolution,
 * so which error answers a request that is wrong in several ways is Nest's choice. Pipes turn a value
 * into another and have no side effects, so resolving them again is safe. Routes with interceptors,
 * server-sent events or a request scope keep Nest's handler as it is.
 */
function routeHandler(internals: RouterInternals, nest: RouteHandler, args: CreateArgs): RouteHandler {
  const [instance, callback, methodName, moduleKey, requestMethod, contextId = STATIC_CONTEXT, inquirerId] = args;
  if (contextId !== STATIC_CONTEXT) return nest;
  const meta = internals.getMetadata(instance, callback, methodName, moduleKey, requestMethod, 'http');
  const interceptors = internals.interceptorsContextCreator.create(instance, callback, moduleKey, contextId, inquirerId);
  if (meta.isSseHandler || interceptors.length > 0) return nest;
  const guards = internals.guardsContextCreator.create(instance, callback, moduleKey, contextId, inquirerId);
  const pipes = internals.pipesContextCreator.create(instance, callback, moduleKey, contextId, inquirerId);
  const steps: Step[] = internals.contextUtils
    .mergeParamsMetatypes(meta.getParamsMetadata(moduleKey, contextId, inquirerId), meta.paramtypes)
    .map(({ index, extractValue, type, data, metatype, pipes: own }) => ({
      index,
      extract: extractValue as Step['extract'],
      pipeable: internals.isPipeable(type),
      pipes: pipes.concat(own),
      metadata: { metatype, type: tokens.exchangeEnumForString(type as never) as ArgumentMetadata['type'], data } as ArgumentMetadata,
      nestMetadata: { metatype, type: type as never, data },
    }));
  const stages = Math.max(0, ...steps.map((step) => (step.pipeable ? step.pipes.length : 0)));
  const { argsLength, httpStatusCode, hasCustomHeaders, responseHeaders } = meta;
  const fnHandleResponse = meta.fnHandleResponse as (result: unknown, res: unknown, req: unknown) => Promise<void> | void;
  const controller = (instance as object).constructor as Type;

  const respond = (result: unknown, req: unknown, res: unknown): Promise<void> | void =>
    isThenable(result) ? Promise.resolve(result).then((value) => fnHandleResponse(value, res, req)) : fnHandleResponse(result, res, req);

  /** Nest's resolution of the parameters (all at once, each through its pipes in turn), from their extracted values. */
  const resolve = async (values: unknown[], callArgs: unknown[], req: unknown): Promise<void> => {
    try {
      await Promise.all(
        steps.map(async (step, i) => {
          callArgs[step.index] = step.pipeable ? await internals.getParamValue(values[i], step.nestMetadata, step.pipes) : values[i];
        }),
      );
    } catch (error) {
      markRejectedByPipes(req);
      throw error;
    }
  };

  /** The parameters resolved by Nest, then the handler and the response. */
  const throughNest = (values: unknown[], callArgs: unknown[], req: unknown, res: unknown): Promise<void> =>
    resolve(values, callArgs, req).then(() => respond(callback.apply(instance, callArgs), req, res));

  const afterGuards = (req: unknown, res: unknown, next: unknown): Promise<void> | void => {
    internals.responseController.setStatus(res, httpStatusCode);
    if (hasCustomHeaders) internals.responseController.setHeaders(res, responseHeaders);
    const callArgs = new Array<unknown>(argsLength).fill(undefined);
    const values = steps.map((step) => step.extract(req, res, next));
    for (let i = 0; i < steps.length; i++) callArgs[steps[i].index] = values[i];
    for (let stage = 0; stage < stages; stage++) {
      for (const step of steps) {
        if (!step.pipeable || stage >= step.pipes.length) continue;
        let value: unknown;
        try {
          value = step.pipes[stage].transform(callArgs[step.index], step.metadata);
        } catch {
          return throughNest(values, callArgs, req, res);
        }
        if (isThenable(value)) {
          settleQuietly(value);
          return throughNest(values, callArgs, req, res);
        }
        callArgs[step.index] = value;
      }
    }
    return respond(callback.apply(instance, callArgs), req, res);
  };

  /** The guards from `from` on (`pending` is the answer of the first of them), as Nest's GuardsConsumer takes them. */
  const guardsFrom = async (from: number, pending: unknown, context: ExecutionContextHost): Promise<void> => {
    for (let i = from; i < guards.length; i++) {
      const answer = i === from ? pending : guards[i].canActivate(context);
      const allowed = typeof answer === 'boolean' ? answer : await internals.guardsConsumer.pickResult(answer);
      if (!allowed) throw new ForbiddenException(FORBIDDEN_MESSAGE);
    }
  };

  return (req, res, next) => {
    if (guards.length > 0) {
      const context = new ExecutionContextHost([req, res, next], controller, callback);
      context.setType('http');
      for (let i = 0; i < guards.length; i++) {
        const answer = guards[i].canActivate(context);
        if (answer === true) continue;
        if (answer === false) throw new ForbiddenException(FORBIDDEN_MESSAGE);
        return guardsFrom(i, answer, context).then(() => afterGuards(req, res, next));
      }
    }
    return afterGuards(req, res, next);
  };
}

let installed = false;

/** Every route Nest builds from now on gets its handler from `routeHandler`. */
export function takeRouteStepsAtOnce(): void {
  if (installed) return;
  installed = true;
  const nestCreate = RouterExecutionContext.prototype.create;
  RouterExecutionContext.prototype.create = function (this: RouterExecutionContext, ...args: CreateArgs) {
    const nest = nestCreate.apply(this, args) as RouteHandler;
    return routeHandler(this as unknown as RouterInternals, nest, args) as ReturnType<RouterExecutionContext['create']>;
  };
}
