import { Client, type ClientConfig } from 'pg';

/** One connection for a few statements outside the service's pool, closed whatever happens. */
export async function withClient<T>(options: ClientConfig, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client(options);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
