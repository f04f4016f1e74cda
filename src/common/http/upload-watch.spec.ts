import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { ApiError } from '../errors/api-error';
import { UploadWatch } from './upload-watch';

type FakeRequest = PassThrough & { socket: Socket; complete: boolean };

function fakeRequest(): FakeRequest {
  const request = new PassThrough() as FakeRequest;
  request.socket = {} as Socket;
  request.complete = false;
  return request;
}

class FakeResponse extends EventEmitter {
  headersSent = false;
  readonly headers: Record<string, string> = {};
  setHeader(name: string, value: string): void {
    this.headers[name] = value;
  }
}

/** Lets the streams move what was written (they do so on the next turns of the event loop). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('UploadWatch (an upload timed by its progress)', () => {
  let now: number;
  let watch: UploadWatch;
  let request: FakeRequest;
  let response: FakeResponse;
  let errors: unknown[];

  const open = (onEnd?: () => void) => {
    const { stream } = watch.open(request as unknown as IncomingMessage, response as unknown as ServerResponse, onEnd);
    stream.on('error', (error) => errors.push(error));
    return stream;
  };

  beforeEach(() => {
    now = 0;
    watch = new UploadWatch(1000, () => now);
    request = fakeRequest();
    response = new FakeResponse();
    errors = [];
  });
  afterEach(() => watch.close());

  it('fails an upload none of whose bytes arrive for the idle timeout while it is read: 408, the connection to close', async () => {
    open().resume();
    request.write('first bytes');
    await settle();
    now = 900;
    request.write('more');
    await settle();
    now = 1800;
    watch.sweep(now);
    expect([errors, watch.isReceiving(request.socket)]).toEqual([[], true]);
    now = 1900;
    watch.sweep(now);
    await settle();
    expect(errors).toEqual([expect.any(ApiError)]);
    const error = errors[0] as ApiError;
    expect([error.getStatus(), error.body.code, error.body.message]).toEqual([408, 'request_timeout', expect.stringContaining('1000 ms')]);
    expect(response.headers).toEqual({ connection: 'close' });
    expect(watch.isReceiving(request.socket)).toBe(false);
  });

  it('does not count the time the service keeps the client waiting: bytes queued for it, its reader holding back', async () => {
    const body = open();
    // Bytes nobody reads yet (the route still busy before it reads): they wait for the service.
    request.write('queued');
    await settle();
    now = 5000;
    watch.sweep(now);
    expect(errors).toEqual([]);
    // A reader that holds back (its storage busy): the body is paused.
    const held: (() => void)[] = [];
    body.pipe(new Writable({ highWaterMark: 1, write: (_chunk, _encoding, done) => void held.push(done) }));
    request.write('x'.repeat(100));
    await settle();
    now = 10_000;
    watch.sweep(now);
    expect(errors).toEqual([]);
    // The reader is ready again, and waits for the client from then on.
    for (const done of held.splice(0)) done();
    await settle();
    for (const done of held.splice(0)) done();
    await settle();
    now = 10_500;
    watch.sweep(now);
    expect(errors).toEqual([]);
    now = 11_000;
    watch.sweep(now);
    await settle();
    expect(errors).toEqual([expect.objectContaining({ body: expect.objectContaining({ code: 'request_timeout' }) })]);
  });

  it('stops watching once the last byte has arrived, and says so (the request deadline starts then)', async () => {
    const ended = jest.fn();
    open(ended).resume();
    request.complete = true;
    request.end('all of it');
    await settle();
    expect([ended.mock.calls.length, watch.isReceiving(request.socket)]).toEqual([1, false]);
    now = 1_000_000;
    watch.sweep(now);
    await settle();
    expect(errors).toEqual([]);
  });

  it('fails the body as a closed request (499, not a failure of the service) when the client goes before its last byte', async () => {
    open().resume();
    request.write('part');
    request.destroy();
    await settle();
    expect(errors).toEqual([expect.any(ApiError)]);
    expect((errors[0] as ApiError).getStatus()).toBe(499);
    expect(watch.isReceiving(request.socket)).toBe(false);
  });

  it('stops watching when the request is answered before its body has arrived', () => {
    open();
    response.emit('close');
    expect(watch.isReceiving(request.socket)).toBe(false);
  });
});
