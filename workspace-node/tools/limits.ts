/**
 * Size, count and time limits of the workspace tools. A toolset takes `Partial<ToolLimits>` and
 * fills the rest from {@link DEFAULT_LIMITS}; every limit is enforced before memory or disk is used.
 */

export interface ToolLimits {
  /** largest file `read_file` returns whole (a line range streams larger files), and `edit_file` edits */
  readonly maxReadBytes: number;
  /** largest content `write_file` and `edit_file` write */
  readonly maxWriteBytes: number;
  /** most entries `list_files` returns */
  readonly maxListEntries: number;
  /** most matching lines `search` returns */
  readonly maxSearchResults: number;
  /** files larger than this are skipped by `search` */
  readonly maxSearchFileBytes: number;
  /** wall-clock budget of one `search` (a regex that backtracks for too long is stopped) */
  readonly searchTimeoutMs: number;
}

export const DEFAULT_LIMITS: ToolLimits = {
  maxReadBytes: 1024 * 1024,
  maxWriteBytes: 1024 * 1024,
  maxListEntries: 500,
  maxSearchResults: 100,
  maxSearchFileBytes: 1024 * 1024,
  searchTimeoutMs: 5_000,
};
