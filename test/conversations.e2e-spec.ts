import { bearer, KEY_A, snapshot, startTestApp, TestApp } from './support/test-app';

const user = (content: string) => ({ type: 'message', role: 'user', content });

/** The Conversations routes on the wire: errors in the envelope, validation, Idempotency-Key, Azure's v1 surface. */
describe('conversations: errors, validation, idempotency, Azure v1', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  it.each([
    ['a thread id', 'thread_abc'],
    ['an unknown conversation', 'conv_doesnotexist'],
  ])('%s is a missing conversation (404, the error envelope)', async (_what, id) => {
    const res = await t.http.get(`/v1/conversations/${id}`).set(bearer(KEY_A));
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { message: `No conversation found with id '${id}'.`, type: 'invalid_request_error', param: null, code: null } });
  });

  it('a missing item is 404 naming the item; a bad cursor is 400 naming after', async () => {
    const conversation = (
      await t.http
        .post('/v1/conversations')
        .set(bearer(KEY_A))
        .send({ items: [user('x')] })
    ).body;
    const missing = await t.http.get(`/v1/conversations/${conversation.id}/items/msg_nope`).set(bearer(KEY_A));
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe("No item found with id 'msg_nope'.");
    const deleted = await t.http.delete(`/v1/conversations/${conversation.id}/items/msg_nope`).set(bearer(KEY_A));
    expect(deleted.status).toBe(404);
    const cursor = await t.http.get(`/v1/conversations/${conversation.id}/items?after=msg_nope`).set(bearer(KEY_A));
    expect(cursor.status).toBe(400);
    expect(cursor.body.error).toMatchObject({ param: 'after', code: 'invalid_cursor' });
    const before = await t.http.get(`/v1/conversations/${conversation.id}/items?before=${conversation.id}`).set(bearer(KEY_A));
    expect(before.status).toBe(400);
    expect(before.body.error).toMatchObject({ param: 'before', code: 'unknown_parameter' });
  });

  it.each([
    ['items', 'invalid_type', { items: 'x' }],
    ['items', 'invalid_value', { items: Array.from({ length: 21 }, () => user('x')) }],
    ['items[0].role', 'invalid_value', { items: [{ type: 'message', role: 'tool', content: 'x' }] }],
    ['items[0].type', 'invalid_value', { items: [{ type: 'nonsense' }] }],
    ['items[0].content', 'missing_required_parameter', { items: [{ role: 'user' }] }],
    ['items[0].content[0].text', 'missing_required_parameter', { items: [{ type: 'message', role: 'user', content: [{ type: 'input_text' }] }] }],
    ['items[1].arguments', 'missing_required_parameter', { items: [user('ok'), { type: 'function_call', call_id: 'c', name: 'f' }] }],
    ['items[0].foo', 'unknown_parameter', { items: [{ ...user('x'), foo: 1 }] }],
    ['items[0].foo', 'unknown_parameter', { items: [{ type: 'function_call', call_id: 'c', name: 'f', arguments: '{}', foo: 1 }] }],
    ['items[0].status', 'invalid_value', { items: [{ type: 'function_call', call_id: 'c', name: 'f', arguments: '{}', status: 'weird' }] }],
    ['items[0].phase', 'invalid_value', { items: [{ type: 'message', role: 'assistant', content: 'x', phase: 'later' }] }],
    ['items[0].output', 'missing_required_parameter', { items: [{ type: 'function_call_output', call_id: 'c' }] }],
    ['items[0].output', 'invalid_type', { items: [{ type: 'function_call_output', call_id: 'c', output: 5 }] }],
    ['items[0].output[0].type', 'invalid_value', { items: [{ type: 'function_call_output', call_id: 'c', output: [{ type: 'bogus' }] }] }],
    ['items[0].output[0].type', 'invalid_value', { items: [{ type: 'function_call_output', call_id: 'c', output: [{ type: 'refusal', refusal: 'x' }] }] }],
    ['items[0].call_id', 'invalid_value', { items: [{ type: 'function_call_output', call_id: 'c'.repeat(65), output: 'x' }] }],
    [
      'items[0].content[0].type',
      'invalid_value',
      { items: [{ type: 'message', role: 'user', content: [{ type: 'output_text', text: 'x', annotations: [] }] }] },
    ],
    [
      'items[0].content[1].type',
      'invalid_value',
      {
        items: [
          {
            role: 'system',
            content: [
              { type: 'input_text', text: 'x' },
              { type: 'refusal', refusal: 'no' },
            ],
          },
        ],
      },
    ],
    ['items[0].summary', 'missing_required_parameter', { items: [{ type: 'reasoning' }] }],
    ['items[0].summary[0].type', 'invalid_value', { items: [{ type: 'reasoning', summary: [{ type: 'text', text: 'x' }] }] }],
    ['metadata.a', 'invalid_type', { metadata: { a: 1 } }],
    ['unknown', 'unknown_parameter', { unknown: true }],
  ])('create: 400 on %s (%s), nothing stored', async (param, code, body) => {
    const before = await snapshot(t.db);
    const res = await t.http.post('/v1/conversations').set(bearer(KEY_A)).send(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', param, code });
    expect(await snapshot(t.db)).toBe(before);
  });

  it('items stored whole come back as the API returns them: a status on calls and outputs, annotations and logprobs on output_text', async () => {
    const conversation = (await t.http.post('/v1/conversations').set(bearer(KEY_A)).send({}).expect(200)).body;
    const created = await t.http
      .post(`/v1/conversations/${conversation.id}/items`)
      .set(bearer(KEY_A))
      .send({
        items: [
          { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' },
          { type: 'function_call_output', call_id: 'call_1', output: [{ type: 'input_text', text: 'done' }] },
          { type: 'function_call', call_id: 'call_2', name: 'f', arguments: '{}', status: 'incomplete' },
          {
            type: 'message',
            role: 'assistant',
            content: [
              { type: 'output_text', text: 'a' },
              { type: 'refusal', refusal: 'no' },
            ],
          },
        ],
      })
      .expect(200);
    const [call, output, incomplete, message] = created.body.data;
    expect(call.status).toBe('completed');
    expect(output).toMatchObject({ status: 'completed', output: [{ type: 'input_text', text: 'done' }] });
    expect(incomplete.status).toBe('incomplete');
    expect(message.content).toEqual([
      { type: 'output_text', text: 'a', annotations: [], logprobs: [] },
      { type: 'refusal', refusal: 'no' },
    ]);
    const listed = await t.http.get(`/v1/conversations/${conversation.id}/items?order=asc`).set(bearer(KEY_A)).expect(200);
    expect(listed.body.data).toEqual(created.body.data);
  });

  it('items route: items required and not empty; update takes metadata only; include values are checked', async () => {
    const { id } = (await t.http.post('/v1/conversations').set(bearer(KEY_A)).send({})).body;
    expect((await t.http.post(`/v1/conversations/${id}/items`).set(bearer(KEY_A)).send({})).body.error).toMatchObject({
      param: 'items',
      code: 'missing_required_parameter',
    });
    expect((await t.http.post(`/v1/conversations/${id}/items`).set(bearer(KEY_A)).send({ items: [] })).body.error).toMatchObject({
      param: 'items',
      code: 'invalid_value',
    });
    expect((await t.http.post(`/v1/conversations/${id}`).set(bearer(KEY_A)).send({ items: [] })).body.error).toMatchObject({ code: 'unknown_parameter' });
    expect((await t.http.post(`/v1/conversations/${id}`).set(bearer(KEY_A)).send({})).body.error).toMatchObject({
      param: 'metadata',
      code: 'missing_required_parameter',
    });
    const include = await t.http.get(`/v1/conversations/${id}/items?include=bogus`).set(bearer(KEY_A));
    expect(include.status).toBe(400);
    expect(include.body.error).toMatchObject({ param: 'include', code: 'invalid_value' });
    const ok = await t.http
      .get(`/v1/conversations/${id}/items?include[]=message.output_text.logprobs&include[]=reasoning.encrypted_content`)
      .set(bearer(KEY_A));
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
  });

  it('Idempotency-Key: a retried create answers the first response and stores once', async () => {
    const send = () =>
      t.http
        .post('/v1/conversations')
        .set(bearer(KEY_A))
        .set('Idempotency-Key', 'conv-create-1')
        .send({ items: [user('once')] });
    const first = await send();
    const second = await send();
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    const threadId = `thread_${first.body.id.slice('conv_'.length)}`;
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM messages WHERE thread_id = $1', [threadId]);
    expect(rows[0].n).toBe(1);

    const add = () =>
      t.http
        .post(`/v1/conversations/${first.body.id}/items`)
        .set(bearer(KEY_A))
        .set('Idempotency-Key', 'conv-items-1')
        .send({ items: [user('again')] });
    const a = await add();
    const b = await add();
    expect(b.body).toEqual(a.body);
    const after = await t.db.query('SELECT count(*)::int AS n FROM messages WHERE thread_id = $1', [threadId]);
    expect(after.rows[0].n).toBe(2);
  });

  describe("Azure's v1 surface: /openai/v1/conversations", () => {
    it('takes the key in api-key or as Bearer, needs no api-version, and sees the same conversations', async () => {
      const created = await t.http
        .post('/openai/v1/conversations')
        .set('api-key', KEY_A)
        .send({ metadata: { via: 'azure' } });
      expect(created.status).toBe(200);
      const viaBearer = await t.http.get(`/openai/v1/conversations/${created.body.id}`).set(bearer(KEY_A));
      expect(viaBearer.body).toEqual(created.body);
      const viaOpenAi = await t.http.get(`/v1/conversations/${created.body.id}`).set(bearer(KEY_A));
      expect(viaOpenAi.body).toEqual(created.body);
      const preview = await t.http.get(`/openai/v1/conversations/${created.body.id}/items?api-version=preview`).set('api-key', KEY_A);
      expect(preview.status).toBe(200);
    });

    it('refuses a dated api-version, and a missing key in Azure words', async () => {
      const dated = await t.http.get('/openai/v1/conversations/conv_x?api-version=2024-08-01-preview').set('api-key', KEY_A);
      expect(dated.status).toBe(400);
      expect(dated.body.error).toMatchObject({ param: 'api-version', code: 'invalid_api_version' });
      const noKey = await t.http.get('/openai/v1/conversations/conv_x');
      expect(noKey.status).toBe(401);
      expect(noKey.body.error.code).toBe('401');
    });
  });
});
