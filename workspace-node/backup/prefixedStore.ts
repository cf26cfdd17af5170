/**
 * An {@link ObjectStore} seen through a key prefix: every key is `prefix + key` in the inner
 * store, and list() strips the prefix again. Lets one bucket (or directory) hold the backups of
 * many workspaces while the backup library writes the same relative keys for each.
 */
import type { ObjectStore } from '../../storage/index.js';

export class PrefixedStore implements ObjectStore {
  constructor(
    readonly inner: ObjectStore,
    /** ends with '/' */
    readonly prefix: string,
  ) {}
  get url(): string {
    return `${this.inner.url.replace(/\/+$/, '')}/${this.prefix}`;
  }
  put: ObjectStore['put'] = (key, body, o) => this.inner.put(this.prefix + key, body, o);
  get: ObjectStore['get'] = (key, o) => this.inner.get(this.prefix + key, o);
  getStream: ObjectStore['getStream'] = (key, o) => this.inner.getStream(this.prefix + key, o);
  head: ObjectStore['head'] = (key) => this.inner.head(this.prefix + key);
  delete: ObjectStore['delete'] = (key) => this.inner.delete(this.prefix + key);
  async *list(prefix = ''): AsyncIterable<{ key: string; size: number }> {
    for await (const e of this.inner.list(this.prefix + prefix))
      yield { key: e.key.slice(this.prefix.length), size: e.size };
  }
}
