/** Reading Prometheus text in tests: the sum of a metric's samples whose labels include the given ones. */

const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

/** Sum of the samples of `name` (exact, e.g. `x_count`) whose labels include `labels`; 0 when none. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const close = rest.indexOf('}');
    const labelText = rest[0] === '{' ? rest.slice(1, close) : '';
    const value = Number((rest[0] === '{' ? rest.slice(close + 1) : rest).trim().split(' ')[0]);
    const found = new Map<string, string>();
    for (const [, k, v] of labelText.matchAll(LABEL)) found.set(k!, v!);
    if (Object.entries(labels).every(([k, v]) => found.get(k) === v)) sum += value;
  }
  return sum;
}
