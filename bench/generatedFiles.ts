/**
 * The generated part of a bench workspace's `files/`: many small text files in nested folders
 * (about 12% of the bytes) and a few large random (incompressible) binaries, `targetMb` in all.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GeneratedFiles {
  /** every file written, absolute */
  readonly paths: string[];
  readonly smallCount: number;
  readonly binaryCount: number;
  readonly binaryMb: number;
}

const WORDS = 'actor journal snapshot segment manifest replay tenant workspace session turn agent tool'.split(
  ' ',
);

/** `bytes` of word-like text, different for each seed. */
export function textFile(bytes: number, seed: number): string {
  let s = '';
  let i = seed;
  while (s.length < bytes) {
    s += `${WORDS[i % WORDS.length]}${i % 7 === 0 ? '\n' : ' '}`;
    i = (i * 31 + 17) % 1_000_003;
  }
  return s.slice(0, bytes);
}

export function generateFiles(filesDir: string, targetMb: number): GeneratedFiles {
  const smallCount = Math.max(50, Math.round(targetMb * 15));
  const binaryMb = targetMb >= 50 ? 5 : 1;
  const binaryCount = Math.max(2, Math.round((targetMb * 0.88) / binaryMb));
  const paths: string[] = [];
  for (let i = 0; i < smallCount; i++) {
    const dir = join(filesDir, `src${i % 20}`, `pkg${i % 7}`);
    mkdirSync(dir, { recursive: true });
    const p = join(dir, `file${i}.txt`);
    writeFileSync(p, textFile(1024 + ((i * 7919) % 14_336), i));
    paths.push(p);
  }
  mkdirSync(join(filesDir, 'assets'), { recursive: true });
  for (let i = 0; i < binaryCount; i++) {
    const p = join(filesDir, 'assets', `blob${i}.bin`);
    writeFileSync(p, randomBytes(binaryMb * 1024 * 1024));
    paths.push(p);
  }
  return { paths, smallCount, binaryCount, binaryMb };
}
