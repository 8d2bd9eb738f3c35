import { apiShapes, compilePattern, javaPatternToJs, validateInput } from '../../local/emulator/validate';

describe('Java → JavaScript pattern translation', () => {
  it.each([
    ['\\A\\S[\\p{Print}]*\\z', 'ok value', true],
    ['\\A\\S[\\p{Print}]*\\z', ' leading space', false],
    ['([\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*)${1,128}', 'team: ml', true],
    ['([\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*)${1,128}', 'bad#tag', false],
    ['[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}', 'blue-green', true],
    ['[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}', 'blue_green', false],
    ['\\p{ASCII}*', 'plain', true],
    ['\\p{ASCII}*', 'é', false],
  ])('GIVEN pattern %s WHEN matching %j THEN %s (whole-string match)', (pattern, value, expected) => {
    expect(compilePattern(pattern)?.test(value)).toBe(expected);
  });

  it('GIVEN every pattern of the served operations WHEN compiled THEN each becomes a Unicode RegExp', () => {
    const patterns = Object.values(apiShapes().services).flatMap((s) => Object.values(s.shapes).map((sh) => sh.pattern).filter((p): p is string => p !== undefined));
    expect(patterns.length).toBeGreaterThan(20);
    for (const p of patterns) expect(compilePattern(p)?.flags).toContain('u');
  });

  it('GIVEN \\Q...\\E WHEN translated THEN quoted literally', () => {
    expect(javaPatternToJs('\\Qa.b\\E')).toBe('a\\.b');
  });
});

describe('model-driven validation', () => {
  it('GIVEN a missing required member and an over-long name WHEN CreateEndpoint THEN both issues, AWS wording', () => {
    const r = validateInput('sagemaker', 'CreateEndpoint', { EndpointName: 'a'.repeat(64) });
    expect(r.ok).toBe(false);
    if (r.ok || r.errorName !== 'ValidationException') throw new Error('expected a ValidationException');
    expect(r.issues).toEqual(
      expect.arrayContaining([
        "Value null at 'endpointConfigName' failed to satisfy constraint: Member must not be null",
        `Value '${'a'.repeat(64)}' at 'endpointName' failed to satisfy constraint: Member must have length less than or equal to 63`,
      ]),
    );
    expect(r.message).toMatch(/^\d validation errors detected: /);
  });

  it('GIVEN a string where a number belongs WHEN validated THEN SerializationException', () => {
    const r = validateInput('sagemaker', 'ListEndpoints', { MaxResults: 'ten' });
    expect(r).toMatchObject({ ok: false, errorName: 'SerializationException' });
  });

  it('GIVEN list and enum limits WHEN DescribeAlarms THEN list length and enum violations', () => {
    const r = validateInput('cloudwatch', 'DescribeAlarms', { AlarmNames: Array.from({ length: 101 }, (_, i) => `a${i}`), StateValue: 'BROKEN' });
    if (r.ok || r.errorName !== 'ValidationException') throw new Error('expected a ValidationException');
    expect(r.issues.some((i) => i.includes("at 'alarmNames' failed to satisfy constraint: Member must have length less than or equal to 100"))).toBe(true);
    expect(r.issues).toContain("Value 'BROKEN' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [OK, ALARM, INSUFFICIENT_DATA]");
  });

  it('GIVEN a valid input WHEN validated THEN ok', () => {
    expect(validateInput('runtime', 'InvokeEndpoint', { EndpointName: 'ep', Body: Buffer.from('{}') })).toEqual({ ok: true });
  });
});
