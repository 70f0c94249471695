import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compilePiiPatterns,
  detectPii,
  ibanValid,
  loadPiiPatternsFromEnv,
  luhnValid,
  maskPii,
  maskPiiText,
  parsePiiPatternsJson,
  viewerSeesPii,
} from './pii';

/** The detected substrings with their kinds, for readable expectations. */
function found(text: string, patterns = compilePiiPatterns([], 'test')): [string, string][] {
  return detectPii(text, patterns).map((m) => [m.kind, text.slice(m.start, m.end)]);
}

describe('detectPii: e-mail addresses', () => {
  it('finds addresses in running text with their exact spans', () => {
    const text = 'Write to jane.doe+claims@example.co.uk, or to J_Smith@mail-host.org.';
    expect(found(text)).toEqual([
      ['email', 'jane.doe+claims@example.co.uk'],
      ['email', 'J_Smith@mail-host.org'],
    ]);
    expect(detectPii('mail bob@example.com now', [])).toEqual([{ kind: 'email', start: 5, end: 20 }]);
  });

  it('ignores things that only look like addresses', () => {
    expect(found('user@localhost, @handle, a@b, price 5@10')).toEqual([]);
  });
});

describe('detectPii: payment cards', () => {
  it('finds Luhn-valid numbers of 13 to 19 digits, with spaces, dashes or none', () => {
    expect(found('card 4111 1111 1111 1111 on file')).toEqual([['card', '4111 1111 1111 1111']]);
    expect(found('card 5555-5555-5555-4444.')).toEqual([['card', '5555-5555-5555-4444']]);
    expect(found('amex 378282246310005')).toEqual([['card', '378282246310005']]);
    expect(found('visa13 4222222222222')).toEqual([['card', '4222222222222']]);
  });

  it('rejects the same shapes when the Luhn check fails', () => {
    expect(found('card 4111 1111 1111 1112 on file')).toEqual([]);
    expect(found('5555-5555-5555-4445')).toEqual([]);
  });

  it('does not take short or long digit runs for cards', () => {
    // 12 digits Luhn-valid (4111 1111 1111 without the last group... 411111111116 is Luhn-valid), 20 digits.
    expect(found('ref 411111111116')).toEqual([]);
    expect(found('ref 41111111111111111113')).toEqual([]);
  });

  it('does not take the digits of a UUID for a card or a phone number', () => {
    // 8000-000000000003 is a Luhn-valid 16-digit run; as part of an id it is not a card.
    expect(found('item 00000000-0000-4000-8000-000000000003')).toEqual([]);
    expect(found('00000000-0000-4000-8000-000000000003 paid with 4111 1111 1111 1111')).toEqual([
      ['card', '4111 1111 1111 1111'],
    ]);
  });

  it('luhnValid', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
  });
});

describe('detectPii: IBANs', () => {
  it('finds mod-97-valid IBANs with and without spaces', () => {
    expect(found('pay to DE89 3704 0044 0532 0130 00 please')).toEqual([['iban', 'DE89 3704 0044 0532 0130 00']]);
    expect(found('GB82WEST12345698765432')).toEqual([['iban', 'GB82WEST12345698765432']]);
    expect(found('iban: FR14 2004 1010 0505 0001 3M02 606.')).toEqual([['iban', 'FR14 2004 1010 0505 0001 3M02 606']]);
  });

  it('rejects a wrong check digit or a wrong length for the country', () => {
    expect(found('DE88 3704 0044 0532 0130 00')).toEqual([]);
    expect(found('GB82WEST1234569876543')).toEqual([]);
    expect(ibanValid('NL91ABNA0417164300')).toBe(true);
    expect(ibanValid('NL91ABNA0417164301')).toBe(false);
  });
});

describe('detectPii: phone numbers', () => {
  it('finds international numbers (+ or 00) in common groupings', () => {
    expect(found('call +1 415-555-2671 today')).toEqual([['phone', '+1 415-555-2671']]);
    expect(found('office +44 20 7946 0958')).toEqual([['phone', '+44 20 7946 0958']]);
    expect(found('mobile +33 6 12 34 56 78')).toEqual([['phone', '+33 6 12 34 56 78']]);
    expect(found('Berlin 0049 30 12345678')).toEqual([['phone', '0049 30 12345678']]);
    expect(found('+14155552671')).toEqual([['phone', '+14155552671']]);
  });

  it('finds common national formats', () => {
    expect(found('US (415) 555-2671 or 415-555-2671 or 415.555.2671')).toEqual([
      ['phone', '(415) 555-2671'],
      ['phone', '415-555-2671'],
      ['phone', '415.555.2671'],
    ]);
    expect(found('London 020 7946 0958')).toEqual([['phone', '020 7946 0958']]);
    expect(found('Paris 06 12 34 56 78')).toEqual([['phone', '06 12 34 56 78']]);
    expect(found('Berlin 030 12345678')).toEqual([['phone', '030 12345678']]);
  });

  it('does not flag amounts, dates, times, ids or plain numbers', () => {
    const ordinary = [
      'amount 1234567.89 EUR',
      'total 1,234,567.00',
      'paid 1 234 567 kr',
      'on 2024-01-15 and 15.01.2024 and 01/15/2024 and 15-01-2024',
      'at 12:30:45',
      'order 4155552671',
      'id 12345678',
      'claim CLM-2024-000123',
      'version 1.2.3',
      'uuid 3f2b8c1e-0d4a-4c9b-9a51-7e6f2d1c0b9a',
      'score 0.93 of 100',
      'quantity 300 500 700',
      'ref 2024 0001 0002',
    ];
    for (const text of ordinary) expect(found(text), text).toEqual([]);
  });
});

describe('configured patterns', () => {
  it('finds named patterns; the name is the kind and the token', () => {
    const patterns = compilePiiPatterns([{ name: 'member-id', regex: 'MBR-\\d{6}' }], 'test');
    expect(found('member MBR-123456 and MBR-12', patterns)).toEqual([['member-id', 'MBR-123456']]);
    expect(maskPiiText('member MBR-123456.', patterns)).toBe('member [member-id].');
  });

  it('honours flags', () => {
    const patterns = compilePiiPatterns([{ name: 'ssn', regex: 'ssn:\\d{3}', flags: 'i' }], 'test');
    expect(found('SSN:123', patterns)).toEqual([['ssn', 'SSN:123']]);
  });

  it('reports a bad pattern naming it and where it came from', () => {
    expect(() => parsePiiPatternsJson('[{"name":"member-id","regex":"MBR-(\\\\d"}]', 'SIGNOFF_PII_PATTERNS')).toThrow(
      /^SIGNOFF_PII_PATTERNS: pattern "member-id" is not a valid regular expression/,
    );
    expect(() =>
      compilePiiPatterns(
        [
          { name: 'ok', regex: 'a' },
          { name: 'Bad Name', regex: 'x' },
        ],
        'workflow claims',
      ),
    ).toThrow(
      'workflow claims: pattern 1 "Bad Name" (name): a pattern name is lower case letters, digits, - or _ (at most 40)',
    );
    expect(() => compilePiiPatterns([{ name: 'empty', regex: 'a*' }], 'src')).toThrow(
      'src: pattern "empty" matches the empty string',
    );
    expect(() => compilePiiPatterns([{ name: 'email', regex: 'x' }], 'src')).toThrow(
      /email, phone, card and iban are built in/,
    );
    expect(() => parsePiiPatternsJson('{nope', 'SIGNOFF_PII_PATTERNS')).toThrow(
      /^SIGNOFF_PII_PATTERNS: not valid JSON/,
    );
    expect(() =>
      compilePiiPatterns(
        [
          { name: 'a', regex: 'x' },
          { name: 'a', regex: 'y' },
        ],
        'src',
      ),
    ).toThrow('src: pattern "a" is defined twice');
  });

  it('loads from SIGNOFF_PII_PATTERNS and SIGNOFF_PII_PATTERNS_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pii-'));
    const file = join(dir, 'patterns.json');
    writeFileSync(file, JSON.stringify([{ name: 'policy-no', regex: 'POL\\d{8}' }]));
    const patterns = loadPiiPatternsFromEnv({
      SIGNOFF_PII_PATTERNS: JSON.stringify([{ name: 'member-id', regex: 'MBR-\\d{6}' }]),
      SIGNOFF_PII_PATTERNS_FILE: file,
    });
    expect(patterns.map((p) => p.name)).toEqual(['member-id', 'policy-no']);
    expect(() => loadPiiPatternsFromEnv({ SIGNOFF_PII_PATTERNS_FILE: join(dir, 'missing.json') })).toThrow(
      /^SIGNOFF_PII_PATTERNS_FILE: cannot read .*missing\.json/,
    );
    expect(loadPiiPatternsFromEnv({})).toEqual([]);
  });
});

describe('maskPii', () => {
  it('masks every string deep in a value and leaves the rest', () => {
    const when = new Date('2026-01-01T00:00:00Z');
    const input = {
      id: 'item-1',
      amount: 1234.5,
      at: when,
      applicant: { email: 'jane@example.com', phones: ['+44 20 7946 0958', 'none'] },
      note: 'Card 4111 1111 1111 1111, IBAN DE89370400440532013000.',
      'bob@example.com': true,
    };
    const masked = maskPii(input, { patterns: [] });
    expect(masked).toEqual({
      id: 'item-1',
      amount: 1234.5,
      at: when,
      applicant: { email: '[email]', phones: ['[phone]', 'none'] },
      note: 'Card [card …1111], IBAN [iban].',
      '[email]': true,
    });
    // A copy: the input is unchanged.
    expect(input.applicant.email).toBe('jane@example.com');
  });

  it('keeps nothing of the original beyond the token', () => {
    const masked = JSON.stringify(
      maskPii({ t: 'reach me at alice.w@example.org or +1 415-555-2671' }, { patterns: [] }),
    );
    expect(masked).not.toContain('alice');
    expect(masked).not.toContain('example.org');
    expect(masked).not.toContain('555');
  });

  it('keeps the paths it is told to keep, and only those', () => {
    const value = {
      user: { email: 'kim@bank.example' },
      token: '4111111111111111',
      rows: [{ email: 'a@b.example', note: 'c@d.example' }],
    };
    expect(maskPii(value, { patterns: [], keep: ['user.email', 'token', 'rows.*.email'] })).toEqual({
      user: { email: 'kim@bank.example' },
      token: '4111111111111111',
      rows: [{ email: 'a@b.example', note: '[email]' }],
    });
    expect(maskPii(value, { patterns: [], keep: ['email'] }).user.email).toBe('[email]');
  });

  it('is never unmasked for any viewer by default', () => {
    expect(viewerSeesPii({ role: 'admin' })).toBe(false);
  });
});
