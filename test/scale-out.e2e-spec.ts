import { bearer, KEY_A, startTestApp, TestApp } from './support/test-app';

/** Two instances on one database answer as one: the app holds no state of its own. */
describe('two service instances on one database', () => {
  let one: TestApp;
  let two: TestApp;
  beforeAll(async () => {
    one = await startTestApp();
    two = await startTestApp({ databaseUrl: one.databaseUrl });
  });
  afterAll(async () => {
    await two?.close();
    await one?.close();
  });

  it('pages through messages written by both, alternating instances, exactly as one instance does', async () => {
    const instances = [one, two];
    const thread = await one.http.post('/v1/threads').set(bearer(KEY_A)).send({}).expect(200);
    const created: string[] = [];
    for (let i = 0; i < 45; i++) {
      const response = await instances[i % 2].http
        .post(`/v1/threads/${thread.body.id}/messages`)
        .set(bearer(KEY_A))
        .send({ role: 'user', content: `m${i}` });
      created.push(response.body.id);
    }
    const concurrent = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        instances[i % 2].http
          .post(`/v1/threads/${thread.body.id}/messages`)
          .set(bearer(KEY_A))
          .send({ role: 'user', content: `c${i}` }),
      ),
    );
    expect(concurrent.every((response) => response.status === 200)).toBe(true);

    const walk = async (order: 'asc' | 'desc', pick: (page: number) => TestApp) => {
      const ids: string[] = [];
      const pages: unknown[] = [];
      let after: string | undefined;
      for (let page = 0; page < 50; page++) {
        const query = `limit=7&order=${order}${after ? `&after=${after}` : ''}`;
        const response = await pick(page).http.get(`/v1/threads/${thread.body.id}/messages?${query}`).set(bearer(KEY_A)).expect(200);
        pages.push(response.body);
        ids.push(...response.body.data.map((m: { id: string }) => m.id));
        if (!response.body.has_more) break;
        after = response.body.last_id;
      }
      return { ids, pages };
    };
    for (const order of ['asc', 'desc'] as const) {
      const alternating = await walk(order, (page) => instances[page % 2]);
      const single = await walk(order, () => one);
      expect(alternating.pages).toEqual(single.pages);
      expect(alternating.ids).toHaveLength(65);
      expect(new Set(alternating.ids).size).toBe(65);
      const sequential = order === 'asc' ? alternating.ids.slice(0, 45) : alternating.ids.slice(20).reverse();
      expect(sequential).toEqual(created);
    }
    const asc = (await walk('asc', (page) => instances[page % 2])).ids;
    const desc = (await walk('desc', (page) => instances[(page + 1) % 2])).ids;
    expect(desc).toEqual([...asc].reverse());
  });
});
