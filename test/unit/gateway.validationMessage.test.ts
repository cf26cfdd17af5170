/**
 * validationMessage (gateway/validation.ts): a choice between constants reads as one "must be one
 * of" line; a pattern the schemas put in words is said in them; any other violation keeps
 * Fastify's wording.
 */
import { describe, expect, it } from 'vitest';
import { validationMessage } from '../../gateway/validation.js';
import { EXIT_CRITERIA_PATTERN } from '../../schemas/index.js';

describe('validationMessage', () => {
  it('folds the branches of a choice between constants into one line', () => {
    const errors = ['project', 'agent', 'model'].map((v) => ({
      keyword: 'const',
      instancePath: '/groupBy',
      message: 'must be equal to constant',
      params: { allowedValue: v },
    }));
    errors.push({
      keyword: 'anyOf',
      instancePath: '/groupBy',
      message: 'must match a schema in anyOf',
      params: {},
    } as never);
    expect(validationMessage('querystring', errors, 'fastify says')).toBe(
      'querystring/groupBy must be one of: project, agent, model',
    );
  });

  it("leaves every other violation in Fastify's words", () => {
    const errors = [{ keyword: 'type', instancePath: '/limit', message: 'must be integer' }];
    expect(validationMessage('querystring', errors, 'querystring/limit must be integer')).toBe(
      'querystring/limit must be integer',
    );
  });

  it('says a worded pattern in words instead of quoting the regular expression', () => {
    const path = '/lanes/0/workflow/exitCriteria';
    const errors = [
      {
        keyword: 'pattern',
        instancePath: path,
        message: `must match pattern "${EXIT_CRITERIA_PATTERN}"`,
        params: { pattern: EXIT_CRITERIA_PATTERN },
      },
    ];
    const message = validationMessage('body', errors, `body${path} must match pattern "…"`);
    expect(message).toBe(
      `body${path} must be a label, or file:<path> relative to the project folder (no leading /, no .. segment, no backslash)`,
    );
    expect(message).not.toContain('pattern');
  });
});
