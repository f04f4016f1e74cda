import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import './async-resource-bind';

describe('AsyncResource#bind', () => {
  it("runs the function in the resource's async context, with the caller's this, and returns its result", () => {
    const storage = new AsyncLocalStorage<string>();
    const resource = storage.run('bound context', () => new AsyncResource('test'));
    const bound = resource.bind(function (this: { name: string }, suffix: string) {
      return `${this.name}:${storage.getStore()}:${suffix}`;
    });
    const result = storage.run('caller context', () => bound.call({ name: 'caller' }, 'x'));
    expect(result).toBe('caller:bound context:x');
  });

  it('uses an explicit thisArg', () => {
    const resource = new AsyncResource('test');
    // Node's own bind takes a thisArg (its typings no longer list it).
    const bind = resource.bind.bind(resource) as unknown as (fn: (this: { n: number }) => number, thisArg: { n: number }) => () => number;
    const bound = bind(
      function (this: { n: number }) {
        return this.n;
      },
      { n: 7 },
    );
    expect(bound()).toBe(7);
  });

  it('refuses what is not a function', () => {
    expect(() => new AsyncResource('test').bind(42 as unknown as () => void)).toThrow(TypeError);
  });
});
