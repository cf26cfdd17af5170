import { describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { Invoice } from '../../schemas/index.js';
import {
  apportionCents,
  MAX_STRIPE_ITEMS,
  roundMicrosToCents,
  stripeLines,
} from '../../workspace-node/billing/stripe/index.js';
import { creditLine, handBuiltInvoice, usageLine } from '../fakes/stripeInvoice.js';

describe('invoice lines in whole cents for Stripe', () => {
  it('rounds the amount due half up to whole cents', () => {
    expect(roundMicrosToCents(0)).toBe(0);
    expect(roundMicrosToCents(4_999)).toBe(0);
    expect(roundMicrosToCents(5_000)).toBe(1);
    expect(roundMicrosToCents(15_000)).toBe(2);
    expect(roundMicrosToCents(-5_000)).toBe(-1);
    expect(roundMicrosToCents(123_456_789)).toBe(12_346);
  });

  it('gives lines whole cents that sum exactly to the rounded total, none off by a cent or more', () => {
    const micros = [12_345_678, 2_500_004, 333_337, -1_000_000, 1, 9_999];
    const total = roundMicrosToCents(micros.reduce((a, b) => a + b, 0));
    const cents = apportionCents(micros, total);
    expect(cents.reduce((a, b) => a + b, 0)).toBe(total);
    cents.forEach((c, i) => expect(Math.abs(c * 10_000 - micros[i]!)).toBeLessThan(10_000));
  });

  it('sums to the due of a hand-built invoice and keeps each line’s provenance', () => {
    const invoice = handBuiltInvoice('acme', 'main');
    expect(Value.Check(Invoice, invoice)).toBe(true);
    const lines = stripeLines(invoice);
    expect(lines).toHaveLength(4);
    expect(lines.reduce((a, l) => a + l.cents, 0)).toBe(roundMicrosToCents(invoice.totals.dueMicros));
    expect(lines.map((l) => l.cents)).toEqual([1235, 250, 33, -100]);
    expect(lines[0]!.metadata).toMatchObject({
      moe_line: '0',
      moe_kind: 'usage',
      moe_model: 'claude-sonnet-4-5',
    });
  });

  it('adds the clamp as a line when credits exceed the price, so Stripe bills 0', () => {
    const invoice = handBuiltInvoice('acme', 'main', '2026-11', 'standard', [
      usageLine('openai', 'gpt-5', 'a', 400_000, 1),
      creditLine(-1_000_000),
    ]);
    expect(invoice.totals.dueMicros).toBe(0);
    const lines = stripeLines(invoice);
    expect(lines).toHaveLength(3);
    expect(lines[2]!.cents).toBe(60);
    expect(lines.reduce((a, l) => a + l.cents, 0)).toBe(0);
  });

  it('folds the smallest lines into one past Stripe’s 250 items, keeping the total', () => {
    const many = Array.from({ length: 400 }, (_, i) => usageLine('openai', `m${i}`, 'a', 1_000 + i * 777, 1));
    const invoice = handBuiltInvoice('acme', 'main', '2026-11', 'standard', many);
    const lines = stripeLines(invoice);
    expect(lines).toHaveLength(MAX_STRIPE_ITEMS);
    expect(lines.at(-1)!.description).toBe('Other lines (151)');
    expect(lines.reduce((a, l) => a + l.cents, 0)).toBe(roundMicrosToCents(invoice.totals.dueMicros));
  });
});
