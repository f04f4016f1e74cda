/** A place among those in flight. */
interface Deadline<A> {
  answer: A;
  at: number;
  earlier: Deadline<A> | undefined;
  later: Deadline<A> | undefined;
  /** Set aside by `suspend`, until its resume. */
  suspended: boolean;
}

const DEADLINE = Symbol('deadline');
type Tracked<A> = { [DEADLINE]?: Deadline<A> };

/**
 * Things in flight (requests, statements) and their deadlines: one still unfinished after
 * `timeoutMs` is handed to `onTimeout` (a request is answered 504, a statement fails). One sweep
 * over them, a few times a second, instead of a timer each.
 *
 * They are a list in the order of their deadlines (the timeout is the same for all: the order they
 * started or resumed in), each holding its own place in it: a sweep reads only the expired ones,
 * and a finished one leaves no reference behind. Not a Map from requests to deadlines: with one,
 * under load, about a tenth of what a request allocates was promoted to the old generation (2 %
 * with the list), and old-generation collections came three times as often.
 */
export class Deadlines<R extends object, A = R> {
  private earliest: Deadline<A> | undefined;
  private latest: Deadline<A> | undefined;
  private readonly sweep: NodeJS.Timeout;

  constructor(
    private readonly timeoutMs: number,
    onTimeout: (answer: A) => void,
  ) {
    this.sweep = setInterval(
      () => {
        const now = Date.now();
        while (this.earliest !== undefined && this.earliest.at <= now) {
          const expired = this.earliest;
          this.unlink(expired);
          onTimeout(expired.answer);
        }
      },
      Math.min(250, Math.max(10, timeoutMs / 4)),
    );
    this.sweep.unref();
  }

  /** `answer` is what `onTimeout` gets: the request's reply or response. */
  start(request: R, answer: A): void {
    const tracked = request as R & Tracked<A>;
    const previous = tracked[DEADLINE];
    if (previous !== undefined) this.unlink(previous);
    const deadline: Deadline<A> = { answer, at: 0, earlier: undefined, later: undefined, suspended: false };
    tracked[DEADLINE] = deadline;
    this.append(deadline);
  }

  /**
   * Sets the request's deadline aside: an upload is timed by its progress while its body arrives
   * (upload-watch.ts). The returned function gives it a whole deadline from then (its last byte);
   * once the request was answered or abandoned, it does nothing.
   */
  suspend(request: R): () => void {
    const deadline = (request as R & Tracked<A>)[DEADLINE];
    if (deadline === undefined || !this.unlink(deadline)) return () => undefined;
    deadline.suspended = true;
    return () => {
      if (!deadline.suspended) return;
      deadline.suspended = false;
      this.append(deadline);
    };
  }

  /** The request was answered or abandoned. */
  end(request: R): void {
    const tracked = request as R & Tracked<A>;
    const deadline = tracked[DEADLINE];
    if (deadline === undefined) return;
    tracked[DEADLINE] = undefined;
    deadline.suspended = false;
    this.unlink(deadline);
  }

  close(): void {
    clearInterval(this.sweep);
    while (this.earliest !== undefined) this.unlink(this.earliest);
  }

  private append(deadline: Deadline<A>): void {
    deadline.at = Date.now() + this.timeoutMs;
    deadline.earlier = this.latest;
    if (this.latest === undefined) this.earliest = deadline;
    else this.latest.later = deadline;
    this.latest = deadline;
  }

  /** Takes the deadline out of the list; false when it was not in it. */
  private unlink(deadline: Deadline<A>): boolean {
    if (deadline.earlier !== undefined) deadline.earlier.later = deadline.later;
    else if (this.earliest === deadline) this.earliest = deadline.later;
    else return false;
    if (deadline.later !== undefined) deadline.later.earlier = deadline.earlier;
    else this.latest = deadline.earlier;
    deadline.earlier = undefined;
    deadline.later = undefined;
    return true;
  }
}
