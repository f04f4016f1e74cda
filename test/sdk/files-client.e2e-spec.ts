import { NotFoundError, toFile } from 'openai';
import { Readable } from 'node:stream';
import { azureClient, AZURE_V2, openAiClient, sdkError } from '../support/sdk-clients';
import { KEY_A, startTestApp, TestApp } from '../support/test-app';

describe('the official SDK: files', () => {
  let t: TestApp & { url?: string };
  beforeAll(async () => {
    t = await startTestApp({ listen: true, files: { references: 'strict' } });
  });
  afterAll(() => t.close());

  for (const [label, client] of [
    ['OpenAI', () => openAiClient(t.url as string, KEY_A)],
    ['AzureOpenAI', () => azureClient(t.url as string, KEY_A, AZURE_V2)],
  ] as const) {
    it(`${label}: create (toFile and a stream), list with auto-pagination, retrieve, content, delete`, async () => {
      const sdk = client();
      const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
      const first = await sdk.files.create({ file: await toFile(bytes, 'data.bin', { type: 'application/octet-stream' }), purpose: 'assistants' });
      expect(first).toMatchObject({ object: 'file', bytes: 3000, filename: 'data.bin', purpose: 'assistants', status: 'processed' });
      const streamed = await sdk.files.create({
        file: await toFile(Readable.from([Buffer.from('a,b\n'), Buffer.from('1,2\n')]), 'table.csv'),
        purpose: 'user_data',
        expires_after: { anchor: 'created_at', seconds: 3600 },
      });
      expect(streamed).toMatchObject({ bytes: 8, filename: 'table.csv', purpose: 'user_data' });
      expect(streamed.expires_at).toBe(streamed.created_at + 3600);

      const ids: string[] = [];
      for await (const file of sdk.files.list({ limit: 1, order: 'asc' })) ids.push(file.id);
      expect(ids.slice(-2)).toEqual([first.id, streamed.id]);
      const onlyUserData = [];
      for await (const file of sdk.files.list({ purpose: 'user_data' })) onlyUserData.push(file.id);
      expect(onlyUserData).toContain(streamed.id);
      expect(onlyUserData).not.toContain(first.id);

      expect(await sdk.files.retrieve(first.id)).toEqual(first);
      const content = await sdk.files.content(first.id);
      expect(Buffer.from(await content.arrayBuffer())).toEqual(bytes);

      expect(await sdk.files.delete(first.id)).toEqual({ id: first.id, object: 'file', deleted: true });
      await sdkError(sdk.files.retrieve(first.id), NotFoundError, 404);
      await sdk.files.delete(streamed.id);
    });
  }
});
