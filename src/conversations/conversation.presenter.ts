import { Metadata } from '../common/metadata/is-metadata';
import { ThreadRecord } from '../threads/threads.repository';

/** A conversation is a thread: `thread_X` in the Assistants API is `conv_X` here, the same row. */
const THREAD_PREFIX = 'thread_';
const CONVERSATION_PREFIX = 'conv_';

/** The thread a conversation id names, or undefined when it names none (not a `conv_` id). */
export function threadIdOf(conversationId: string): string | undefined {
  return conversationId.startsWith(CONVERSATION_PREFIX) ? THREAD_PREFIX + conversationId.slice(CONVERSATION_PREFIX.length) : undefined;
}

export function conversationIdOf(threadId: string): string {
  return CONVERSATION_PREFIX + threadId.slice(THREAD_PREFIX.length);
}

export interface ConversationObject {
  id: string;
  object: 'conversation';
  created_at: number;
  metadata: Metadata;
}

export function presentConversation(thread: ThreadRecord): ConversationObject {
  return { id: conversationIdOf(thread.id), object: 'conversation', created_at: thread.createdAt, metadata: thread.metadata };
}

export function presentConversationDeleted(id: string) {
  return { id, object: 'conversation.deleted' as const, deleted: true as const };
}
