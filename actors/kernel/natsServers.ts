/**
 * NATS_URL (and `--nats`) may name several servers of one cluster, separated by commas:
 * `nats://h1:4222,nats://h2:4222,nats://h3:4222`. nats.js takes such a list only as an array (a
 * string is one URL), so every process splits it here before connecting; with the whole list a
 * process can start, and reconnect, while any one server of the cluster is down.
 *
 * @example
 *   await connect({ servers: natsServers(process.env.NATS_URL ?? 'nats://127.0.0.1:4222') });
 */
export function natsServers(url: string | readonly string[]): string[] {
  return (typeof url === 'string' ? [url] : url)
    .flatMap((u) => u.split(','))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
