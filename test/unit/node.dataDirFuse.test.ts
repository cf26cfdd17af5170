/**
 * A node refuses a data dir on FUSE (MOE_ERR_DATA_DIR_ON_FUSE): the mount of the resolved data dir
 * is the longest mount point prefix in the mount table, fed here as a synthetic table.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertDataDirNotOnFuse, isFuse, mountOf, parseMountTable } from '../../workspace-node/dataDirFs.js';
import { checkNodeEnv, startWorkspaceNode } from '../../workspace-node/index.js';
import { tempDir } from '../harness/index.js';

const FUSE = 'MOE_ERR_DATA_DIR_ON_FUSE';

let tmp: ReturnType<typeof tempDir>;
let base: string; // the resolved temp dir: mount points below are under it
let table: string;

/** Writes a mountinfo table with these (mount point, fstype) rows after an ext4 root. */
function mountinfo(rows: [string, string][]): string {
  const lines = ['27 1 254:0 / / rw,relatime - ext4 /dev/vda rw'];
  rows.forEach(([mp, fstype], i) =>
    lines.push(
      `${100 + i} 27 0:${50 + i} / ${mp.replace(/ /g, '\\040')} rw,nosuid shared:1 - ${fstype} src${i} rw`,
    ),
  );
  writeFileSync(table, lines.join('\n') + '\n');
  return table;
}

function refusal(dataDir: string, mountTable: string): unknown {
  try {
    assertDataDirNotOnFuse(dataDir, mountTable);
    return undefined;
  } catch (err) {
    return err;
  }
}

beforeEach(() => {
  tmp = tempDir('moe-fuse-');
  base = realpathSync(tmp.path);
  table = join(base, 'mountinfo');
});
afterEach(() => tmp.remove());

describe('data dir on FUSE', () => {
  it('refuses a data dir below a fuse.gcsfuse mount, and says why', () => {
    const err = refusal(
      join(base, 'bucket', 'moe', 'data'),
      mountinfo([[join(base, 'bucket'), 'fuse.gcsfuse']]),
    );
    expect(err).toMatchObject({ code: FUSE });
    expect((err as Error).message).toContain('fuse.gcsfuse');
    expect((err as Error).message).toContain(join(base, 'bucket'));
    expect((err as Error).message).toContain('MOE_FILES_ROOT');
  });

  it('accepts a data dir on ext4 or overlay', () => {
    expect(refusal(join(base, 'data'), mountinfo([]))).toBeUndefined();
    expect(refusal(join(base, 'data'), mountinfo([[base, 'overlay']]))).toBeUndefined();
  });

  it('the longest mount point prefix wins', () => {
    const bucket = join(base, 'mnt');
    // a local volume mounted inside the FUSE mount: the data dir on it is fine
    expect(
      refusal(
        join(bucket, 'local', 'data'),
        mountinfo([
          [bucket, 'fuse.gcsfuse'],
          [join(bucket, 'local'), 'ext4'],
        ]),
      ),
    ).toBeUndefined();
    // and a FUSE mount inside a local volume is refused
    expect(
      refusal(
        join(bucket, 'local', 'data'),
        mountinfo([
          [join(bucket, 'local'), 'fuse'],
          [bucket, 'ext4'],
        ]),
      ),
    ).toMatchObject({ code: FUSE });
  });

  it('a mount point is a path prefix, not a string prefix', () => {
    expect(refusal(join(base, 'datadir'), mountinfo([[join(base, 'data'), 'fuse.gcsfuse']]))).toBeUndefined();
  });

  it('resolves symlinks before looking the data dir up', () => {
    const real = join(base, 'bucket');
    mkdirSync(real);
    symlinkSync(real, join(base, 'link'));
    expect(refusal(join(base, 'link', 'data'), mountinfo([[real, 'fuse.gcsfuse']]))).toMatchObject({
      code: FUSE,
    });
  });

  it('reads /proc/mounts format and escaped mount points too', () => {
    const mp = join(base, 'my bucket');
    writeFileSync(
      table,
      `/dev/vda / ext4 rw 0 0\ngcsfuse ${mp.replace(/ /g, '\\040')} fuse.gcsfuse rw 0 0\n`,
    );
    expect(parseMountTable(`/dev/vda / ext4 rw 0 0\n`)).toEqual([
      { mountPoint: '/', fstype: 'ext4', source: '/dev/vda' },
    ]);
    expect(refusal(join(mp, 'data'), table)).toMatchObject({ code: FUSE });
  });

  it('classifies filesystem types and finds mounts', () => {
    expect(['fuse', 'fuseblk', 'fuse.gcsfuse', 'fuse.sshfs'].every(isFuse)).toBe(true);
    expect(['ext4', 'overlay', 'tmpfs', 'fusectl', 'nfs'].some(isFuse)).toBe(false);
    const mounts = parseMountTable(readFileSync(mountinfo([['/a', 'xfs']]), 'utf8'));
    expect(mountOf('/a/b', mounts)?.fstype).toBe('xfs');
    expect(mountOf('/ab', mounts)?.fstype).toBe('ext4');
  });

  it('this machine, read from its own mount table, accepts a temp data dir', () => {
    expect(() => assertDataDirNotOnFuse(base)).not.toThrow();
  });

  it('the node refuses to start, and `moe` checks say the same', async () => {
    const dataDir = join(base, 'bucket', 'data');
    const mountTable = mountinfo([[join(base, 'bucket'), 'fuse.gcsfuse']]);
    expect(() => checkNodeEnv({}, { dataDir, mountTable })).toThrow(expect.objectContaining({ code: FUSE }));
    expect(() => checkNodeEnv({ MOE_DATA_DIR: dataDir }, { mountTable })).toThrow(
      expect.objectContaining({ code: FUSE }),
    );
    // refused before it connects anywhere (nothing listens on this port) or writes its lock
    await expect(
      startWorkspaceNode({ dataDir, mountTable, natsUrl: 'nats://127.0.0.1:1' }),
    ).rejects.toMatchObject({ code: FUSE });
    expect(existsSync(join(dataDir, 'node.lock'))).toBe(false);
  });
});
