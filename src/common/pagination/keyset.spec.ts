import { planKeyset, takePage } from './keyset';

describe('planKeyset', () => {
  it.each([
    ['desc', 'none', { ascending: false, reverse: false }],
    ['asc', 'none', { ascending: true, reverse: false }],
    ['desc', 'after', { ascending: false, reverse: false }],
    ['asc', 'after', { ascending: true, reverse: false }],
    // `before`: walk away from the cursor (against the order), then put the page back in order.
    ['desc', 'before', { ascending: true, reverse: true }],
    ['asc', 'before', { ascending: false, reverse: true }],
  ] as const)('order %s, cursor %s', (order, cursor, expected) => {
    expect(planKeyset(order, cursor, 7)).toEqual({ ...expected, limit: 7 });
  });
});

describe('takePage', () => {
  it('keeps limit rows and says whether the extra one was there', () => {
    expect(takePage([1, 2, 3, 4], { ascending: true, reverse: false, limit: 3 })).toEqual({ items: [1, 2, 3], hasMore: true });
    expect(takePage([1, 2, 3], { ascending: true, reverse: false, limit: 3 })).toEqual({ items: [1, 2, 3], hasMore: false });
    expect(takePage([], { ascending: true, reverse: false, limit: 3 })).toEqual({ items: [], hasMore: false });
  });

  it('reverses a page fetched against the order, after dropping the extra row', () => {
    // desc, before X: fetched ascending from X: 5, 6, 7 (+8); answered 7, 6, 5.
    expect(takePage([5, 6, 7, 8], planKeyset('desc', 'before', 3))).toEqual({ items: [7, 6, 5], hasMore: true });
  });
});
