import { FileRecord } from './file.entity';

/** The file object (OpenAIFile): `expires_at` only when the file expires, as the schema has it (an integer, not nullable). */
export interface FileObject {
  id: string;
  object: 'file';
  bytes: number;
  created_at: number;
  expires_at?: number;
  filename: string;
  purpose: string;
  status: 'processed';
}

export function presentFile(file: FileRecord): FileObject {
  const object: FileObject = {
    id: file.id,
    object: 'file',
    bytes: file.bytes,
    created_at: file.createdAt,
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed',
  };
  if (file.expiresAt !== null) object.expires_at = file.expiresAt;
  return object;
}

export const presentFileDeleted = (id: string) => ({ id, object: 'file' as const, deleted: true });

/**
 * `Content-Disposition` for a download (RFC 6266): `filename` in ASCII for old clients, `filename*`
 * (RFC 5987) with the exact name in UTF-8, percent-encoded, so that no name can break the header.
 */
export function contentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
