import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Transform } from 'node:stream';
import { ApiError } from '../errors/api-error';
import { uploadWording } from '../errors/wording';
import { tappedStream } from '../tapped-stream';
import { clientClosedRequest } from './json-body';
import { RawRequestBody } from './raw-body';

/** A 408 in the envelope: the upload stopped arriving. */
export const uploadStalled = (idleMs: number): ApiError =>
  new ApiError(408, { message: uploadWording.stalled(idleMs), type: 'invalid_request_error', param: null, code: 'request_timeout' });

interface Watched {
  request: IncomingMessage;
  response: ServerResponse;
  /** What the upload route reads: the request's bytes, counted on their way. */
  body: Transform;
  /** When a byte last arrived, or the service was last the one behind (its reader holding back). */
  since: number;
}

/**
 * The timeout rule of uploads (POST /files, handed through unread by the platforms). A file of
 * hundreds of megabytes on a slow link takes longer than any total time meant for a JSON body, so
 * an upload is held to its progress instead: while its body arrives, BODY_TIMEOUT_MS does not
 * apply to it (see `isReceiving`), and it fails with 408 (in the envelope, the connection closed,
 * nothing stored) when none of its bytes arrive for `idleTimeoutMs` while the service waits for
 * them. Time the service itself keeps the client waiting (its reader holding back, bytes queued
 * for it) does not count. One sweep a few times a second over the uploads in flight, no timer each.
 */
export class UploadWatch {
  private readonly receiving = new Map<Socket, Watched>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly idleTimeoutMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.sweep(this.clock()), Math.min(250, Math.max(10, Math.floor(idleTimeoutMs / 4))));
    this.timer.unref();
  }

  /**
   * Watches the body of `request` (answered by `response`) until its last byte; `onEnd` is called
   * once all of it has arrived. A client gone before that fails the returned stream with a 499
   * (logged as a closed request, not as the service's failure).
   */
  open(request: IncomingMessage, response: ServerResponse, onEnd?: () => void): RawRequestBody {
    const clock = this.clock;
    const watched: Watched = {
      request,
      response,
      since: clock(),
      body: tappedStream(() => {
        watched.since = clock();
      }),
    };
    const { body } = watched;
    // Whoever reads the body hears its errors; one that nobody reads (the request answered without it) must not end the process.
    body.on('error', () => undefined);
    const socket = request.socket;
    this.receiving.set(socket, watched);
    const stop = () => {
      if (this.receiving.get(socket) === watched) this.receiving.delete(socket);
    };
    const gone = () => {
      stop();
      if (!request.complete && !body.destroyed) body.destroy(clientClosedRequest());
    };
    request.once('end', () => {
      stop();
      onEnd?.();
    });
    request.once('error', gone);
    request.once('close', gone);
    response.once('close', stop);
    request.pipe(body);
    return new RawRequestBody(body);
  }

  /** Whether the request this socket is receiving is an upload, bound by its progress rather than by BODY_TIMEOUT_MS. */
  isReceiving(socket: Socket): boolean {
    return this.receiving.has(socket);
  }

  close(): void {
    clearInterval(this.timer);
    this.receiving.clear();
  }

  /** One pass over the uploads in flight (run a few times a second): each stalled one fails. */
  sweep(now: number): void {
    for (const [socket, watched] of this.receiving) {
      if (!waitsForClient(watched)) {
        watched.since = now;
        continue;
      }
      if (now - watched.since < this.idleTimeoutMs) continue;
      this.receiving.delete(socket);
      // The rest of the body is not waited for: the answer closes the connection.
      if (!watched.response.headersSent) watched.response.setHeader('connection', 'close');
      watched.request.unpipe(watched.body);
      watched.body.destroy(uploadStalled(this.idleTimeoutMs));
    }
  }
}

/**
 * The next byte is the client's to send: none waits in a buffer for the service, and the body's
 * reader is not holding back (a reader that stopped, its storage busy, pauses the body).
 */
function waitsForClient({ request, body }: Watched): boolean {
  return request.readableLength === 0 && body.writableLength === 0 && body.readableLength === 0 && body.readableFlowing !== false;
}
