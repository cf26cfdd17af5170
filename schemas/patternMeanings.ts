/**
 * The schemas' string patterns in words, for error messages: "…/exitCriteria must be a label, or
 * file:<path> …" reads better than the regular expression Ajv would quote.
 */
import { EXIT_CRITERIA_PATTERN, LANE_ID_PATTERN } from './laneWorkflow.js';
import { TOKEN_PATTERN } from './subjects.js';

const MEANINGS: ReadonlyMap<string, string> = new Map([
  [TOKEN_PATTERN, '1 to 64 letters, digits, - or _'],
  [LANE_ID_PATTERN, '1 to 32 letters, digits, - or _'],
  [
    EXIT_CRITERIA_PATTERN,
    'a label, or file:<path> relative to the project folder (no leading /, no .. segment, no backslash)',
  ],
]);

/** What a value matching `pattern` looks like, or undefined for a pattern without words. */
export function patternMeaning(pattern: unknown): string | undefined {
  return typeof pattern === 'string' ? MEANINGS.get(pattern) : undefined;
}
