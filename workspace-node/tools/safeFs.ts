/**
 * File access for confined paths: opens with `O_NOFOLLOW` (a symlink swapped in after
 * `confinePath` fails with ELOOP instead of being followed) and `O_NONBLOCK` (a FIFO planted in the
 * workspace cannot hang a read), refuses anything but regular files, and checks sizes before
 * reading or writing.
 */
import { constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errors } from '../errors.js';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = constants;

/** bytes inspected for a NUL byte to call a file binary (git uses 8000) */
const BINARY_SNIFF_BYTES = 8000;

export function looksBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0);
}

/** Opens a confined regular file for reading; `shown` is the path as the model gave it. */
export async function openRegular(absolute: string, shown: string) {
  const handle = await open(absolute, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw errors.TOOL_FAILED(`${shown} is a directory (use list_files)`);
    if (!info.isFile()) throw errors.TOOL_FAILED(`${shown} is not a regular file`);
    return { handle, size: info.size };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Reads a whole confined regular file of at most `maxBytes`. */
export async function readLimited(
  absolute: string,
  shown: string,
  maxBytes: number,
  hint = '',
): Promise<Buffer> {
  const { handle, size } = await openRegular(absolute, shown);
  try {
    if (size > maxBytes) {
      throw errors.FILE_TOO_LARGE(
        `${shown} is ${size} bytes, the limit is ${maxBytes}${hint ? `; ${hint}` : ''}`,
      );
    }
    const bytes = await handle.readFile();
    if (bytes.length > maxBytes) throw errors.FILE_TOO_LARGE(`${shown} grew past ${maxBytes} bytes`);
    return bytes;
  } finally {
    await handle.close();
  }
}

const WRITE_TEMP_SUFFIX = '.moe-write.tmp';

/** A temp file {@link writeNoFollow} left behind when its process was killed mid-write (walks skip it). */
export function isWriteTemp(name: string): boolean {
  return name.startsWith('.') && name.endsWith(WRITE_TEMP_SUFFIX);
}

/**
 * Creates or replaces a confined regular file (parents created), never following a final symlink.
 * The replacement is atomic: the bytes go to a temp file beside the target (created exclusively,
 * synced), which is then renamed over it — a process killed mid-write leaves the old content or the
 * new, never a truncated file (an `edit_file` re-driven after such a kill would otherwise find its
 * anchor text gone). A symlink swapped in after the check is replaced, not written through.
 */
export async function writeNoFollow(absolute: string, shown: string, content: Uint8Array): Promise<void> {
  const existing = await lstat(absolute).catch(() => undefined);
  if (existing?.isDirectory()) throw errors.TOOL_FAILED(`${shown} is a directory`);
  if (existing && !existing.isFile()) throw errors.TOOL_FAILED(`${shown} is not a regular file`);
  await mkdir(dirname(absolute), { recursive: true });
  const temp = join(
    dirname(absolute),
    `.${basename(absolute)}.${process.pid}-${randomBytes(4).toString('hex')}${WRITE_TEMP_SUFFIX}`,
  );
  const mode = existing ? existing.mode & 0o777 : 0o644;
  const handle = await open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK, mode);
  try {
    try {
      await handle.writeFile(content);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temp, absolute);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
