import { bearer, KEY_A, KEY_B, snapshot, startTestApp, TestApp } from './support/test-app';
import { watchSentQueries } from './support/sent-queries';

/** FILE_REFERENCES=strict (the default): every file id a message or thread names is a live file of the tenant. */
describe('file references', () => {
  let t: TestApp;
  let fileA: string;
  let fileB: string;
  let threadId: string;

  const upload = async (key: string) => {
    const response = await t.http.post('/v1/files').set(bearer(key)).field('purpose', 'assistants').attach('file', Buffer.from('data'), 'data.csv');
    expect(response.status).toBe(200);
    return response.body.id as string;
  };

  beforeAll(async () => {
    t = await startTestApp({ files: { references: 'strict' } });
    fileA = await upload(KEY_A);
    fileB = await upload(KEY_B);
    threadId = (await t.http.post('/v1/threads').set(bearer(KEY_A)).send({})).body.id;
  });
  afterAll(() => t.close());

  /** A message of KEY_A's thread with one attachment naming `fileId`. */
  const attach = (fileId: string) =>
    t.http
      .post(`/v1/threads/${threadId}/messages`)
      .set(bearer(KEY_A))
      .send({ role: 'user', content: 'x', attachments: [{ file_id: fileId, tools: [] }] });

  const rejected = async (request: () => Promise<{ status: number; body: { error: { param: string; message: string } } }>, param: string, missing: string) => {
    const before = await snapshot(t.db);
    const response = await request();
    expect(response.status).toBe(400);
    expect(response.body.error.param).toBe(param);
    expect(response.body.error.message).toBe(`Invalid '${param}': no file found with id '${missing}'.`);
    expect(await snapshot(t.db)).toBe(before);
  };

  it('stores messages and threads that name files of the tenant', async () => {
    const message = await t.http
      .post(`/v1/threads/${threadId}/messages`)
      .set(bearer(KEY_A))
      .send({
        role: 'user',
        content: [{ type: 'image_file', image_file: { file_id: fileA } }],
        attachments: [{ file_id: fileA, tools: [{ type: 'file_search' }] }],
      });
    expect(message.status).toBe(200);
    const thread = await t.http
      .post('/v1/threads')
      .set(bearer(KEY_A))
      .send({
        tool_resources: { code_interpreter: { file_ids: [fileA] }, file_search: { vector_store_ids: ['vs_anything'] } },
        messages: [{ role: 'user', content: 'x', attachments: [{ file_id: fileA, tools: [] }] }],
      });
    expect(thread.status).toBe(200);
    expect(thread.body.tool_resources).toEqual({ code_interpreter: { file_ids: [fileA] }, file_search: { vector_store_ids: ['vs_anything'] } });
  });

  it('names the exact field of a missing file, and stores nothing', async () => {
    await rejected(
      () =>
        t.http
          .post(`/v1/threads/${threadId}/messages`)
          .set(bearer(KEY_A))
          .send({
            role: 'user',
            content: 'x',
            attachments: [
              { file_id: fileA, tools: [] },
              { file_id: 'file-nope', tools: [] },
            ],
          }),
      'attachments[1].file_id',
      'file-nope',
    );
    await rejected(
      () =>
        t.http
          .post(`/v1/threads/${threadId}/messages`)
          .set(bearer(KEY_A))
          .send({
            role: 'user',
            content: [
              { type: 'text', text: 'a' },
              { type: 'image_file', image_file: { file_id: 'file-gone' } },
            ],
          }),
      'content[1].image_file.file_id',
      'file-gone',
    );
    await rejected(
      () =>
        t.http
          .post(`/v1/threads/${threadId}/messages`)
          .set(bearer(KEY_A))
          .set('OpenAI-Beta', 'assistants=v1')
          .send({ role: 'user', content: 'x', file_ids: [fileA, fileA, 'file-x'] }),
      'file_ids[2]',
      'file-x',
    );
    await rejected(
      () =>
        t.http
          .post('/v1/threads')
          .set(bearer(KEY_A))
          .send({ tool_resources: { code_interpreter: { file_ids: ['file-y'] } } }),
      'tool_resources.code_interpreter.file_ids[0]',
      'file-y',
    );
    await rejected(
      () =>
        t.http
          .post('/v1/threads')
          .set(bearer(KEY_A))
          .send({
            messages: [
              { role: 'user', content: 'a' },
              { role: 'user', content: 'b', attachments: [{ file_id: 'file-z', tools: [] }] },
            ],
          }),
      'messages[1].attachments[0].file_id',
      'file-z',
    );
    await rejected(
      () =>
        t.http
          .post(`/v1/threads/${threadId}`)
          .set(bearer(KEY_A))
          .send({ tool_resources: { code_interpreter: { file_ids: [fileA, 'file-w'] } } }),
      'tool_resources.code_interpreter.file_ids[1]',
      'file-w',
    );
  });

  it('checks the file ids of conversation items the Assistants API shows (input_image and input_file parts)', async () => {
    const conversation = await t.http
      .post('/v1/conversations')
      .set(bearer(KEY_A))
      .send({
        items: [
          {
            type: 'message',
            role: 'user',
            content: [
              { type: 'input_text', text: 'see these' },
              { type: 'input_image', file_id: fileA },
              { type: 'input_file', file_id: fileA },
            ],
          },
        ],
      });
    expect(conversation.status).toBe(200);
    const threadOf = (conversation.body.id as string).replace(/^conv_/, 'thread_');
    const listed = await t.http.get(`/v1/threads/${threadOf}/messages`).set(bearer(KEY_A));
    expect(listed.body.data[0].attachments).toEqual([{ file_id: fileA, tools: [] }]);
    await rejected(
      () =>
        t.http
          .post('/v1/conversations')
          .set(bearer(KEY_A))
          .send({
            items: [
              { role: 'user', content: 'a' },
              {
                role: 'user',
                content: [
                  { type: 'input_text', text: 'b' },
                  { type: 'input_file', file_id: 'file-c1' },
                ],
              },
            ],
          }),
      'items[1].content[1].file_id',
      'file-c1',
    );
    await rejected(
      () =>
        t.http
          .post(`/v1/conversations/${conversation.body.id as string}/items`)
          .set(bearer(KEY_A))
          .send({
            items: [
              {
                type: 'message',
                role: 'user',
                content: [
                  { type: 'input_text', text: 'x' },
                  { type: 'input_image', file_id: fileB },
                ],
              },
            ],
          }),
      'items[0].content[1].file_id',
      fileB,
    );
    const added = await t.http
      .post(`/v1/conversations/${conversation.body.id as string}/items`)
      .set(bearer(KEY_A))
      .send({
        items: [
          {
            type: 'message',
            role: 'user',
            content: [
              { type: 'input_file', file_id: fileA },
              { type: 'input_text', text: 'y' },
            ],
          },
        ],
      });
    expect(added.status).toBe(200);
  });

  it.each([
    ['a message of file parts only', (id: string) => ({ role: 'user', content: [{ type: 'input_file', file_id: id }] }), 'items[0].content[0].file_id'],
    [
      'a system message',
      (id: string) => ({
        role: 'system',
        content: [
          { type: 'input_text', text: 'x' },
          { type: 'input_file', file_id: id },
        ],
      }),
      'items[0].content[1].file_id',
    ],
    [
      'an image of original detail',
      (id: string) => ({ role: 'user', content: [{ type: 'input_image', file_id: id, detail: 'original' }] }),
      'items[0].content[0].file_id',
    ],
    [
      "a function call's output",
      (id: string) => ({
        type: 'function_call_output',
        call_id: 'c',
        output: [
          { type: 'input_text', text: 'x' },
          { type: 'input_file', file_id: id },
        ],
      }),
      'items[0].output[1].file_id',
    ],
  ])('checks the file ids of items stored whole too: %s', async (_what, item, param) => {
    const conversation = (await t.http.post('/v1/conversations').set(bearer(KEY_A)).send({}).expect(200)).body.id as string;
    await rejected(
      () =>
        t.http
          .post('/v1/conversations')
          .set(bearer(KEY_A))
          .send({ items: [item('file-c2')] }),
      param,
      'file-c2',
    );
    await rejected(
      () =>
        t.http
          .post(`/v1/conversations/${conversation}/items`)
          .set(bearer(KEY_A))
          .send({ items: [item(fileB)] }),
      param,
      fileB,
    );
    await t.http
      .post(`/v1/conversations/${conversation}/items`)
      .set(bearer(KEY_A))
      .send({ items: [item(fileA)] })
      .expect(200);
  });

  it("answers another tenant's file like a missing one", async () => {
    await rejected(() => attach(fileB), 'attachments[0].file_id', fileB);
  });

  it('a missing thread stays a 404 whatever the files', async () => {
    const response = await t.http
      .post('/v1/threads/thread_missing/messages')
      .set(bearer(KEY_A))
      .send({ role: 'user', content: 'x', attachments: [{ file_id: 'file-q', tools: [] }] });
    expect(response.status).toBe(404);
  });

  it('deleting a file leaves the messages that name it readable, with the id kept', async () => {
    const file = await upload(KEY_A);
    const message = await attach(file);
    expect((await t.http.delete(`/v1/files/${file}`).set(bearer(KEY_A))).status).toBe(200);
    const read = await t.http.get(`/v1/threads/${threadId}/messages/${message.body.id}`).set(bearer(KEY_A));
    expect(read.status).toBe(200);
    expect(read.body.attachments).toEqual([{ file_id: file, tools: [] }]);
    // And a deleted file can no longer be attached.
    await rejected(() => attach(file), 'attachments[0].file_id', file);
  });

  it('FILE_REFERENCES=any admits unknown ids', async () => {
    const any = await startTestApp({ databaseUrl: t.databaseUrl, files: { references: 'any' } });
    try {
      const response = await any.http
        .post(`/v1/threads/${threadId}/messages`)
        .set(bearer(KEY_A))
        .send({ role: 'user', content: 'x', attachments: [{ file_id: 'file-imported', tools: [] }] });
      expect(response.status).toBe(200);
      expect(response.body.attachments).toEqual([{ file_id: 'file-imported', tools: [] }]);
    } finally {
      await any.close();
    }
  });

  it('a message with files is still one round trip', async () => {
    let sent = 0;
    const stopWatching = watchSentQueries((text) => {
      if (!text.includes('api_keys') && !text.startsWith('LISTEN')) sent++;
    });
    try {
      const response = await attach(fileA);
      expect(response.status).toBe(200);
    } finally {
      stopWatching();
    }
    expect(sent).toBe(1);
  });
});
