import { Shape } from '../common/api-version/api-request';
import { Metadata } from '../common/metadata/is-metadata';
import { ToolResources } from './thread.entity';
import { ThreadRecord } from './threads.repository';

export interface ThreadObject {
  id: string;
  object: 'thread';
  created_at: number;
  tool_resources?: ToolResources;
  metadata: Metadata;
}

export interface DeletedObject {
  id: string;
  object: string;
  deleted: true;
}

export function presentThread(thread: ThreadRecord, shape: Shape): ThreadObject {
  const object = { id: thread.id, object: 'thread', created_at: thread.createdAt } as ThreadObject;
  if (shape === 'v2') object.tool_resources = thread.toolResources;
  object.metadata = thread.metadata;
  return object;
}

export function presentThreadDeleted(id: string): DeletedObject {
  return { id, object: 'thread.deleted', deleted: true };
}
