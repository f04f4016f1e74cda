describe("Nest's logger date format, built on first use", () => {
  const RealDateTimeFormat = Intl.DateTimeFormat;
  afterEach(() => {
    Intl.DateTimeFormat = RealDateTimeFormat;
  });

  it('builds no formatter while Nest loads, puts the global back, and formats the same at the first log line', () => {
    const built: unknown[][] = [];
    const counting = function (this: unknown, ...args: ConstructorParameters<typeof Intl.DateTimeFormat>) {
      built.push(args);
      return new RealDateTimeFormat(...args);
    } as unknown as typeof Intl.DateTimeFormat;
    Intl.DateTimeFormat = counting;

    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('./nest-logger-date-format');
      expect(built).toHaveLength(0);
      expect(Intl.DateTimeFormat).toBe(counting);

      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { ConsoleLogger } = require('@nestjs/common') as typeof import('@nestjs/common');
      const lines: string[] = [];
      const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
      const now = jest.spyOn(Date, 'now').mockReturnValue(Date.UTC(2026, 0, 2, 3, 4, 5));
      try {
        new ConsoleLogger({ colors: false }).log('hello');
        new ConsoleLogger({ colors: false }).log('again');
      } finally {
        write.mockRestore();
        now.mockRestore();
      }

      expect(built).toHaveLength(1);
      const expected = new RealDateTimeFormat(...(built[0] as ConstructorParameters<typeof Intl.DateTimeFormat>)).format(Date.UTC(2026, 0, 2, 3, 4, 5));
      expect(lines[0]).toContain(expected);
      expect(lines[0]).toContain('hello');
      expect(lines[1]).toContain(expected);
    });
  });
});
