import { RequestDeadlines } from './request-timeout';

describe('RequestDeadlines.suspend (an upload: its deadline from its last byte)', () => {
  let deadlines: RequestDeadlines<string>;
  const timedOut: string[] = [];
  beforeEach(() => {
    jest.useFakeTimers();
    timedOut.length = 0;
    deadlines = new RequestDeadlines<string>(1000, (answer) => timedOut.push(answer));
  });
  afterEach(() => {
    deadlines.close();
    jest.useRealTimers();
  });

  it('sets the deadline aside, then gives a whole one from the resume', () => {
    deadlines.start('upload', 'upload');
    const resume = deadlines.suspend('upload');
    jest.advanceTimersByTime(5000);
    expect(timedOut).toEqual([]);
    resume();
    jest.advanceTimersByTime(750);
    expect(timedOut).toEqual([]);
    jest.advanceTimersByTime(500);
    expect(timedOut).toEqual(['upload']);
  });

  it('does nothing on a resume after the request was answered', () => {
    deadlines.start('upload', 'upload');
    const resume = deadlines.suspend('upload');
    deadlines.end('upload');
    resume();
    jest.advanceTimersByTime(5000);
    expect(timedOut).toEqual([]);
  });
});
