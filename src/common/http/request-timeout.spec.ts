import { RequestDeadlines } from './request-timeout';

/** A request as the platforms hand it over: an object, here carrying its name. */
const request = (name: string) => ({ name });
type Request = ReturnType<typeof request>;

describe('RequestDeadlines', () => {
  let deadlines: RequestDeadlines<Request, string>;
  const timedOut: string[] = [];
  beforeEach(() => {
    jest.useFakeTimers();
    timedOut.length = 0;
    deadlines = new RequestDeadlines<Request, string>(1000, (answer) => timedOut.push(answer));
  });
  afterEach(() => {
    deadlines.close();
    jest.useRealTimers();
  });

  it('hands each unanswered request over once its deadline has passed, oldest first, and only those', () => {
    const [a, b, c] = [request('a'), request('b'), request('c')];
    deadlines.start(a, 'a');
    jest.advanceTimersByTime(300);
    deadlines.start(b, 'b');
    deadlines.start(c, 'c');
    deadlines.end(b);
    jest.advanceTimersByTime(750);
    expect(timedOut).toEqual(['a']);
    jest.advanceTimersByTime(500);
    expect(timedOut).toEqual(['a', 'c']);
    jest.advanceTimersByTime(5000);
    expect(timedOut).toEqual(['a', 'c']);
  });

  it('forgets an answered request whatever its place (first, middle, last, alone)', () => {
    const all = ['1', '2', '3', '4'].map(request);
    for (const r of all) deadlines.start(r, r.name);
    deadlines.end(all[0]);
    deadlines.end(all[2]);
    deadlines.end(all[3]);
    deadlines.end(all[3]);
    jest.advanceTimersByTime(1500);
    expect(timedOut).toEqual(['2']);
    const alone = request('alone');
    deadlines.start(alone, 'alone');
    deadlines.end(alone);
    const next = request('next');
    deadlines.start(next, 'next');
    jest.advanceTimersByTime(1500);
    expect(timedOut).toEqual(['2', 'next']);
  });

  it('gives a request started again a whole new deadline, and hands it over once', () => {
    const r = request('again');
    deadlines.start(r, 'first');
    jest.advanceTimersByTime(800);
    deadlines.start(r, 'second');
    jest.advanceTimersByTime(800);
    expect(timedOut).toEqual([]);
    jest.advanceTimersByTime(500);
    expect(timedOut).toEqual(['second']);
  });

  describe('suspend (an upload: its deadline from its last byte)', () => {
    it('sets the deadline aside, then gives a whole one from the resume', () => {
      const upload = request('upload');
      deadlines.start(upload, 'upload');
      const resume = deadlines.suspend(upload);
      jest.advanceTimersByTime(5000);
      expect(timedOut).toEqual([]);
      resume();
      jest.advanceTimersByTime(750);
      expect(timedOut).toEqual([]);
      jest.advanceTimersByTime(500);
      expect(timedOut).toEqual(['upload']);
    });

    it('keeps the others timed while one is set aside, and a resumed one after those started before its resume', () => {
      const [upload, other] = [request('upload'), request('other')];
      deadlines.start(upload, 'upload');
      const resume = deadlines.suspend(upload);
      jest.advanceTimersByTime(200);
      deadlines.start(other, 'other');
      resume();
      jest.advanceTimersByTime(1100);
      expect(timedOut).toEqual(['other', 'upload']);
    });

    it('does nothing on a resume after the request was answered, nor on a second resume', () => {
      const upload = request('upload');
      deadlines.start(upload, 'upload');
      const resume = deadlines.suspend(upload);
      deadlines.end(upload);
      resume();
      jest.advanceTimersByTime(5000);
      expect(timedOut).toEqual([]);
      const again = request('again');
      deadlines.start(again, 'again');
      const resumeAgain = deadlines.suspend(again);
      resumeAgain();
      resumeAgain();
      jest.advanceTimersByTime(1500);
      expect(timedOut).toEqual(['again']);
    });

    it('has nothing to set aside for a request not in flight', () => {
      const unknown = request('unknown');
      deadlines.suspend(unknown)();
      jest.advanceTimersByTime(5000);
      expect(timedOut).toEqual([]);
    });
  });
});
