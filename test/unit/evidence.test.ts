import type { SampleResult } from '../../lambdas/shared/contracts';
import { judgeSample } from '../../lambdas/shared/decisions';
import {
  abortCause,
  evidenceOf,
  excerpt,
  MAX_EVIDENCE_SAMPLES,
  MAX_EXCERPT_CHARS,
  validationEvidence,
  type CheckedSample,
  type ValidationEvidence,
} from '../../lambdas/shared/evidence';
import { DETAIL_TYPES, EVENT_SOURCE } from '../../lambdas/shared/lifecycle';
import { schemaErrors } from '../support/events-schema';
import { ENDPOINT, stateAt } from '../support/fixtures';

/** A sample as validate-green checks it: the verdict is judgeSample's, as in the handler. */
function checkedSample(name: string, expected: CheckedSample['expected'], response: CheckedSample['response'], maxLatencyMs = 1000): CheckedSample {
  const problem = judgeSample(expected, response, maxLatencyMs);
  const result: SampleResult = { name, ok: problem === undefined, latencyMs: response.latencyMs, status: response.status, problem };
  return { expected, response, result };
}
const ok = (name: string) => checkedSample(name, {}, { status: 200, latencyMs: 20, body: '{"churn":0.1}' });
const modelError500 = (name: string, message = 'model weights not found') =>
  checkedSample(name, {}, {
    status: 500,
    latencyMs: 31,
    body: '',
    error: 'ModelError: Received server error (500)',
    originalMessage: message,
    logStreamArn: `arn:aws:logs:us-east-1:111122223333:log-group:/aws/sagemaker/Endpoints/${ENDPOINT}`,
  });

describe('excerpt', () => {
  test('GIVEN a short text THEN it is kept whole; GIVEN none or an empty one THEN null', () => {
    expect(excerpt('{"label":"stay"}')).toBe('{"label":"stay"}');
    expect(excerpt('')).toBeNull();
    expect(excerpt(undefined)).toBeNull();
  });

  test('GIVEN a long text THEN it is clipped to MAX_EXCERPT_CHARS with an ellipsis marking the cut', () => {
    const clipped = excerpt('x'.repeat(10_000))!;
    expect(clipped).toHaveLength(MAX_EXCERPT_CHARS);
    expect(clipped.endsWith('x…')).toBe(true);
  });

  test('GIVEN a cut that would fall inside a surrogate pair THEN the whole pair is dropped, never half of it', () => {
    // The pair starts at the last character kept before the ellipsis.
    const text = `${'a'.repeat(MAX_EXCERPT_CHARS - 2)}😀${'b'.repeat(10)}`;
    const clipped = excerpt(text)!;
    expect(clipped).toBe(`${'a'.repeat(MAX_EXCERPT_CHARS - 2)}…`);
  });
});

describe('validationEvidence', () => {
  test('GIVEN every sample passed THEN there is no evidence', () => {
    expect(validationEvidence('variant green', [ok('a'), ok('b')], 1000, '2026-12-01T10:00:00.000Z')).toBeUndefined();
  });

  test("GIVEN a container error THEN the failing sample carries its status, latency, problem, the container's message, its log stream and what was expected", () => {
    const evidence = validationEvidence('variant green-v2', [ok('fine'), modelError500('typical-customer')], 1000, '2026-12-01T10:00:00.000Z');

    expect(evidence).toEqual({
      target: 'variant green-v2',
      failed: 1,
      total: 2,
      at: '2026-12-01T10:00:00.000Z',
      samples: [
        {
          name: 'typical-customer',
          status: 500,
          latencyMs: 31,
          problem: 'status 500, expected 200 (ModelError: Received server error (500))',
          bodyExcerpt: 'model weights not found',
          logStreamArn: `arn:aws:logs:us-east-1:111122223333:log-group:/aws/sagemaker/Endpoints/${ENDPOINT}`,
          expected: { status: 200, maxLatencyMs: 1000, contains: null, json: null },
        },
      ],
    });
  });

  test('GIVEN a wrong answer THEN the excerpt is of the body green answered and the expectations are quoted, clipped', () => {
    const big = { label: 'stay', padding: 'p'.repeat(1000) };
    const wrong = checkedSample('label', { expectedStatus: 200, expectContains: 'churn', expectJson: big }, { status: 200, latencyMs: 12, body: `{"churn":0.9,"label":"leave","pad":"${'z'.repeat(1000)}"}` });

    const sample = validationEvidence('the serving fleet', [wrong], 250, '2026-12-01T10:00:00.000Z')!.samples[0]!;

    expect(sample.problem).toBe('response.label is "leave", expected "stay"');
    expect(sample.bodyExcerpt).toMatch(/^\{"churn":0\.9,"label":"leave"/);
    expect(sample.bodyExcerpt).toHaveLength(MAX_EXCERPT_CHARS);
    expect(sample.logStreamArn).toBeNull();
    expect(sample.expected).toEqual({ status: 200, maxLatencyMs: 250, contains: 'churn', json: expect.stringMatching(/^\{"label":"stay","padding":"ppp/) });
    expect(sample.expected.json).toHaveLength(MAX_EXCERPT_CHARS);
  });

  test('GIVEN more failing samples than MAX_EVIDENCE_SAMPLES THEN the first ones are listed, in order, and the counts tell how many failed', () => {
    const checked = [ok('fine'), ...Array.from({ length: 8 }, (_, i) => modelError500(`s${i + 1}`, 'm'.repeat(50_000)))];

    const evidence = validationEvidence('variant green', checked, 1000, '2026-12-01T10:00:00.000Z')!;

    expect({ failed: evidence.failed, total: evidence.total }).toEqual({ failed: 8, total: 9 });
    expect(evidence.samples.map((s) => s.name)).toEqual(Array.from({ length: MAX_EVIDENCE_SAMPLES }, (_, i) => `s${i + 1}`));
    // Bounded whatever green answered: a few KB on the lock item (≤ 400 KB) and in the event (≤ 256 KB).
    expect(JSON.stringify(evidence).length).toBeLessThan(4 * 1024);
  });
});

describe('evidenceOf', () => {
  const alarm = { name: 'churn-green-5xx', stateReason: 'Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (0.0).' };
  const samples: ValidationEvidence = validationEvidence('variant green', [modelError500('typical-customer')], 1000, '2026-12-01T10:00:00.000Z')!;
  const failedWith = (Error: string, Cause = 'why') => stateAt('baking', {}, { failure: { Error, Cause } });

  test('GIVEN the bake failed by the alarm trigger THEN the alarm is the one its abort cause names', () => {
    const state = failedWith('GuardrailAlarm', abortCause('guardrail alarm churn-green-5xx is in ALARM', alarm));
    expect(evidenceOf(state, {}).alarm).toEqual(alarm);
  });

  test("GIVEN the bake's own check found the alarm (a Lambda error: a message only) THEN the alarm is the one it left on the lock", () => {
    const state = failedWith('GuardrailAlarm', JSON.stringify({ errorType: 'GuardrailAlarm', errorMessage: 'guardrail alarm churn-green-5xx is in ALARM: …' }));
    expect(evidenceOf(state, { alarmEvidence: alarm }).alarm).toEqual(alarm);
    expect(evidenceOf(state, {}).alarm).toBeNull();
  });

  test('GIVEN a step found the abort flag an alarm set THEN the alarm is the flag’s, and the check’s own finding wins over a later flag', () => {
    const state = failedWith('GuardrailAlarm');
    const flag = { error: 'GuardrailAlarm' as const, reason: 'guardrail alarm other is in ALARM', at: '2026-12-01T10:00:00.000Z', alarm: { name: 'other', stateReason: 'later' } };
    expect(evidenceOf(state, { abortRequested: flag }).alarm).toEqual(flag.alarm);
    expect(evidenceOf(state, { abortRequested: flag, alarmEvidence: alarm }).alarm).toEqual(alarm);
  });

  test('GIVEN green failed validation THEN the samples are the lock’s; GIVEN another error THEN the lock’s evidence is not the promotion’s', () => {
    expect(evidenceOf(failedWith('GreenValidationFailed'), { validationEvidence: samples })).toMatchObject({ validation: samples, alarm: null });
    // An operator's abort after an alarm was left on the lock: neither the alarm nor samples explain it.
    expect(evidenceOf(failedWith('PromotionAborted'), { alarmEvidence: alarm, validationEvidence: samples })).toMatchObject({ alarm: null, validation: null });
    expect(evidenceOf(stateAt('finalized'), { alarmEvidence: alarm })).toMatchObject({ alarm: null, validation: null });
  });

  test("GIVEN any end THEN green's log groups are named, the validation endpoint's only when there is one", () => {
    expect(evidenceOf(stateAt('finalized')).greenLogs).toEqual({ logGroup: `/aws/sagemaker/Endpoints/${ENDPOINT}`, validationLogGroup: null });
  });
});

describe('the Rolled Back event with validation evidence (schema/events.schema.json)', () => {
  const event = (evidence: unknown) => ({
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': DETAIL_TYPES.rolledBack,
    source: EVENT_SOURCE,
    account: '111122223333',
    time: '2026-12-01T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: {
      endpointName: ENDPOINT,
      promotionId: 'p-1',
      executionArn: 'arn:aws:states:us-east-1:111122223333:execution:sm:p-1',
      strategy: 'variant',
      requestedBy: 'cli',
      green: { modelPackageArn: 'arn:aws:sagemaker:us-east-1:111122223333:model-package/churn-models/4', modelPackageGroup: 'churn-models', version: 4 },
      links: { execution: 'https://us-east-1.console.aws.amazon.com/states/home', endpoint: 'https://us-east-1.console.aws.amazon.com/sagemaker/home' },
      timings: { startedAt: '2026-12-01T09:59:58Z', at: '2026-12-01T10:00:00Z', finishedAt: '2026-12-01T10:00:00Z', durationSeconds: 2 },
      outcome: 'rolled_back',
      reason: 'green failed 1 of 1 validation requests',
      error: 'PromotionRolledBack',
      blue: { exists: true, modelPackageArn: null, version: 3, endpointConfigName: 'churn-blue' },
      evidence,
    },
  });
  const checked = Array.from({ length: 5 }, (_, i) => modelError500(`s${i + 1}`, 'm'.repeat(5000)));
  const built = validationEvidence('variant green', checked, 1000, '2026-12-01T10:00:00.000Z')!;
  const greenLogs = { logGroup: `/aws/sagemaker/Endpoints/${ENDPOINT}`, validationLogGroup: null };

  test('GIVEN the evidence validationEvidence builds, however much green answered THEN the event validates', () => {
    expect(schemaErrors(event({ alarm: null, validation: built, greenLogs }))).toEqual([]);
  });

  test.each([
    ['no validation field at all', { alarm: null, greenLogs }],
    ['more samples than the bound', { alarm: null, validation: { ...built, samples: [...built.samples, ...built.samples] }, greenLogs }],
    ['an excerpt over 256 characters', { alarm: null, validation: { ...built, samples: [{ ...built.samples[0]!, bodyExcerpt: 'm'.repeat(257) }] }, greenLogs }],
    ['a sample without what it expected', { alarm: null, validation: { ...built, samples: [{ ...built.samples[0]!, expected: undefined }] }, greenLogs }],
  ])('GIVEN %s THEN the schema rejects it', (_what, evidence) => {
    expect(schemaErrors(JSON.parse(JSON.stringify(event(evidence))))).not.toEqual([]);
  });
});
