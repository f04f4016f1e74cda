import { Coalescer, type CoalescerOptions } from './coalescer';

/** A statement sent and not yet answered: its inputs, and how to answer it. */
interface Sent {
  inputs: string[];
  answer(error?: Error): void;
}

/** A refusal as pg reports one from the server (a DatabaseError carries its SQLSTATE and severity). */
function refused(code: string): Error {
  return Object.assign(new Error(`refused ${code}`), { code, severity: 'ERROR' });
}

/** A coalescer over strings whose statements are held until the test answers them; `one` refuses the inputs in `bad`. */
function harness(options: Partial<CoalescerOptions<string, string>> = {}, bad = new Set<string>()) {
  const sent: Sent[] = [];
  const statement = (inputs: string[]) =>
    new Promise<string[]>((resolve, reject) => {
      sent.push({
        inputs,
        answer: (error) => {
          if (error) return reject(error);
          const refusedInput = inputs.length === 1 ? inputs.find((input) => bad.has(input)) : undefined;
          if (refusedInput) return reject(refused('23505'));
          resolve(inputs.map((input) => `${input}!`));
        },
      });
    });
  const coalescer = new Coalescer<string, string>({
    concurrency: 2,
    maxBatch: 100,
    maxSize: 1000,
    sizeOf: (input) => input.length,
    one: async (input) => (await statement([input]))[0],
    many: statement,
    ...options,
  });
  const settled = (promise: Promise<string>) =>
    promise.then(
      (value) => ({ value }),
      (error: Error) => ({ error: error.message }),
    );
  return { sent, coalescer, settled };
}

/** Lets the promise callbacks run (each step of a statement's answer is a few microtasks). */
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('Coalescer', () => {
  it('sends each input at once while fewer than `concurrency` statements are in flight', async () => {
    const { sent, coalescer } = harness();
    const a = coalescer.run('a');
    const b = coalescer.run('b');
    expect(sent.map((s) => s.inputs)).toEqual([['a'], ['b']]);
    sent[0].answer();
    sent[1].answer();
    await expect(Promise.all([a, b])).resolves.toEqual(['a!', 'b!']);
  });

  it('sends what arrived while the statements were in flight as one statement, each input answered with its own output', async () => {
    const { sent, coalescer } = harness();
    const results = ['a', 'b', 'c', 'd', 'e'].map((input) => coalescer.run(input));
    expect(sent.map((s) => s.inputs)).toEqual([['a'], ['b']]);
    sent[1].answer();
    await flush();
    expect(sent.map((s) => s.inputs)).toEqual([['a'], ['b'], ['c', 'd', 'e']]);
    sent[2].answer();
    sent[0].answer();
    await expect(Promise.all(results)).resolves.toEqual(['a!', 'b!', 'c!', 'd!', 'e!']);
  });

  it('puts at most maxBatch inputs, and at most maxSize of them, in one statement; a larger input goes alone', async () => {
    const { sent, coalescer } = harness({ concurrency: 1, maxBatch: 3, maxSize: 10 });
    const results = ['first', 'a', 'b', 'c', 'd', 'eeeeeeeeeeeeeeee', 'ffff', 'ggggggg', 'h'].map((input) => coalescer.run(input));
    for (let i = 0; i < 6; i++) {
      sent[i].answer();
      await flush();
    }
    expect(sent.map((s) => s.inputs)).toEqual([['first'], ['a', 'b', 'c'], ['d'], ['eeeeeeeeeeeeeeee'], ['ffff'], ['ggggggg', 'h']]);
    await expect(Promise.all(results)).resolves.toHaveLength(9);
  });

  it('sends the inputs of a statement the server refused one after the other: only the input at fault fails', async () => {
    const { sent, coalescer, settled } = harness({ concurrency: 1 }, new Set(['dup']));
    const results = ['first', 'x', 'dup', 'y'].map((input) => settled(coalescer.run(input)));
    sent[0].answer();
    await flush();
    expect(sent[1].inputs).toEqual(['x', 'dup', 'y']);
    sent[1].answer(refused('23505'));
    // One after the other, in their order: each sent once the one before it is answered.
    for (let i = 2; i < 5; i++) {
      await flush();
      expect(sent).toHaveLength(i + 1);
      sent[i].answer();
    }
    expect(sent.slice(2).map((s) => s.inputs)).toEqual([['x'], ['dup'], ['y']]);
    await expect(Promise.all(results)).resolves.toEqual([{ value: 'first!' }, { value: 'x!' }, { error: 'refused 23505' }, { value: 'y!' }]);
  });

  it('answers every input of a statement with its error when the server did not refuse it (a lost connection): nothing is sent again', async () => {
    const { sent, coalescer, settled } = harness({ concurrency: 1 });
    const results = ['first', 'x', 'y'].map((input) => settled(coalescer.run(input)));
    sent[0].answer();
    await flush();
    sent[1].answer(new Error('Connection terminated unexpectedly'));
    await expect(Promise.all(results)).resolves.toEqual([
      { value: 'first!' },
      { error: 'Connection terminated unexpectedly' },
      { error: 'Connection terminated unexpectedly' },
    ]);
    expect(sent).toHaveLength(2);
  });

  it('answers every input with the error of a statement the server cancelled (its timeout): nothing is sent again', async () => {
    const { sent, coalescer, settled } = harness({ concurrency: 1 });
    const results = ['first', 'x', 'y'].map((input) => settled(coalescer.run(input)));
    sent[0].answer();
    await flush();
    sent[1].answer(refused('57014'));
    await expect(Promise.all(results)).resolves.toEqual([{ value: 'first!' }, { error: 'refused 57014' }, { error: 'refused 57014' }]);
    expect(sent).toHaveLength(2);
  });

  it('keeps going after a failed statement: the next inputs are sent', async () => {
    const { sent, coalescer } = harness({ concurrency: 1 });
    const failed = coalescer.run('a').catch((error: Error) => error.message);
    sent[0].answer(new Error('boom'));
    await expect(failed).resolves.toBe('boom');
    const next = coalescer.run('b');
    expect(sent[1].inputs).toEqual(['b']);
    sent[1].answer();
    await expect(next).resolves.toBe('b!');
  });
});
