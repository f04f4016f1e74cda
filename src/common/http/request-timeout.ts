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
  /** Requests whose deadline is set aside until their body has arrived (uploads). */
  private readonly suspended = new Map<R, A>();
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

  /**
   * Sets the request's deadline aside: an upload is timed by its progress while its body arrives
   * (upload-watch.ts). The returned function gives it a whole deadline from then (its last byte);
   * once the request was answered or abandoned, it does nothing.
   */
  suspend(request: R): () => void {
    const entry = this.inFlight.get(request);
    if (!entry) return () => undefined;
    this.inFlight.delete(request);
    this.suspended.set(request, entry.answer);
    return () => {
      const answer = this.suspended.get(request);
      if (answer === undefined) return;
      this.suspended.delete(request);
      this.start(request, answer);
    };
  }

  /** The request was answered or abandoned. */
  end(request: R): void {
    this.inFlight.delete(request);
    this.suspended.delete(request);
  }

  close(): void {
    clearInterval(this.sweep);
    this.inFlight.clear();
    this.suspended.clear();
  }
}
