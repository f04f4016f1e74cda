import { AsyncResource } from 'node:async_hooks';

/**
 * On Node 20, AsyncResource#bind defines a deprecated `asyncResource` getter (DEP0172) on every
 * function it binds, and building that getter through util.deprecate costs more than the binding
 * itself. Fastify binds one callback per request that has a body (its content-type parser), so
 * this showed as about 4% of the service's CPU, and replacing it raised create-message throughput
 * by 14-19% on this machine (README, Performance). The replacement keeps the documented
 * behaviour: the function runs in the resource's async scope with the caller's `this`; only the
 * deprecated property is left out.
 */
const major = Number(process.versions.node.split('.')[0]);

if (major < 22) {
  AsyncResource.prototype.bind = function bind<F extends (...args: unknown[]) => unknown>(this: AsyncResource, fn: F, thisArg?: unknown): F {
    if (typeof fn !== 'function') throw new TypeError('The "fn" argument must be of type function');
    const runInScope = this.runInAsyncScope.bind(this) as (fn: F, thisArg: unknown, ...args: unknown[]) => unknown;
    const bound = function (this: unknown, ...args: unknown[]) {
      return runInScope(fn, thisArg === undefined ? this : thisArg, ...args);
    };
    return bound as unknown as F;
  };
}
