import { Shape } from './api-request';

/** Azure OpenAI `api-version` values that carry the Assistants API, with the shape each one speaks. */
export const AZURE_API_VERSIONS: ReadonlyMap<string, Shape> = new Map<string, Shape>([
  ['2024-02-15-preview', 'v1'],
  ['2024-03-01-preview', 'v1'],
  ['2024-04-01-preview', 'v1'],
  ['2024-05-01-preview', 'v2'],
  ['2024-07-01-preview', 'v2'],
  ['2024-08-01-preview', 'v2'],
  ['2024-09-01-preview', 'v2'],
  ['2024-10-01-preview', 'v2'],
  ['2024-12-01-preview', 'v2'],
  ['2025-01-01-preview', 'v2'],
  ['2025-02-01-preview', 'v2'],
  ['2025-03-01-preview', 'v2'],
  ['2025-04-01-preview', 'v2'],
]);

/** `OpenAI-Beta` header values on `/v1`; no header means v2. */
export const OPENAI_BETA_SHAPES: ReadonlyMap<string, Shape> = new Map<string, Shape>([
  ['assistants=v2', 'v2'],
  ['assistants=v1', 'v1'],
]);

/**
 * Azure OpenAI's v1 surface (`/openai/v1/...`, since August 2025) takes no dated `api-version`: none
 * at all, or one of these values that its preview clients sent. It carries the Conversations API.
 */
export const AZURE_V1_PATH = '/openai/v1/';
export const AZURE_V1_API_VERSIONS: readonly string[] = ['v1', 'preview', 'latest'];
