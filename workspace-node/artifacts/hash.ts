/**
 * Content addressing for artifacts: the sha256 (lower-case hex) and byte size of a file's content,
 * from memory or streamed from disk.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface ContentDigest {
  readonly sha256: string;
  readonly size: number;
}

/** @example hashContent('hello') // { sha256: '2cf24dba…', size: 5 } */
export function hashContent(content: string | Uint8Array): ContentDigest {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.byteLength };
}

/** Streams a file from disk (for files written by other means than the tools, e.g. a shell command). */
export async function hashFile(path: string): Promise<ContentDigest> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    hash.update(bytes);
  }
  return { sha256: hash.digest('hex'), size };
}
