import { TIMEOUT_ERROR } from '../errors/api-error';

/** The body of a 504, sent by the platforms' request timeouts. */
export const TIMEOUT_BODY = JSON.stringify({ error: TIMEOUT_ERROR });

/**
 * Requests in flight and their deadlines: a request still unanswered after `timeoutMs` is handed
 * to `onTimeout` (which answers 504 in the error envelope). One sweep over the requests in
 * flight, a few times a second, instead of a timer per request.
 */
export class RequestDeadlines<R, A = R> {
  private readonly inFlight = new Map<R, { answer: A; deadline: number }>();
  private readonly sweep: NodeJS.Timeout;

  constructor(
    private readonly timeoutMs: number,
    onTimeout: (answer: A) => void,
  ) {
    this.sweep = setInterval(
      () => {
        const now = Date.now();
        for (const [request, { answer, deadline }] of this.inFlight) {
          if (deadline > now) continue;
          this.inFlight.delete(request);
          onTimeout(answer);
        }
      },
      Math.min(250, Math.max(10, timeoutMs / 4)),
    );
    this.sweep.unref();
  }

  /** `answer` is what `onTimeout` gets: the request's reply or response. */
  start(request: R, answer: A): void {
    this.inFlight.set(request, { answer, deadline: Date.now() + this.timeoutMs });
  }

  /** The request was answered or abandoned. */
  end(request: R): void {
    this.inFlight.delete(request);
  }

  close(): void {
    clearInterval(this.sweep);
    this.inFlight.clear();
  }
}
