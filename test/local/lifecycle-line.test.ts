import { DETAIL_TYPES, EVENT_SOURCE } from '../../lambdas/shared/lifecycle';
import { lifecycleLine } from '../../local/lifecycle-line';

/** The demo prints each lifecycle event as one line: what happened to which endpoint and version, and why. */
const event = (type: string, detail: Record<string, unknown>) => ({
  source: EVENT_SOURCE,
  'detail-type': type,
  detail: { endpointName: 'churn-prediction', green: { version: 3 }, strategy: 'guardrails', ...detail },
});

test.each([
  [DETAIL_TYPES.started, { requestedBy: 'model-registry:approved:churn-models/3' }, 'event Promotion Started     churn-prediction v3 (guardrails) requested by model-registry:approved:churn-models/3'],
  [DETAIL_TYPES.validated, { validation: { samples: [{}, {}] } }, 'event Green Validated       churn-prediction v3 answered its 2 validation samples'],
  [
    DETAIL_TYPES.approvalNeeded,
    { approval: { timeoutSeconds: 3600, onTimeout: 'rollback' }, commands: { approve: 'bluegreen approve churn-prediction' } },
    'event Approval Needed       churn-prediction v3 waits for a person within 60m (then rollback): bluegreen approve churn-prediction (or reject)',
  ],
  [DETAIL_TYPES.shifted, {}, 'event Traffic Shifted       churn-prediction v3 carries the traffic'],
  [DETAIL_TYPES.succeeded, { timings: { durationSeconds: 42 } }, 'event Promotion Succeeded   churn-prediction v3 promoted after 42s'],
  [DETAIL_TYPES.rolledBack, { reason: 'GuardrailAlarm: x-5xx is in ALARM', timings: { durationSeconds: 7 } }, 'event Promotion Rolled Back churn-prediction v3 after 7s: GuardrailAlarm: x-5xx is in ALARM'],
  [DETAIL_TYPES.interrupted, { reason: null }, 'event Promotion Interrupted churn-prediction v3: no reason recorded'],
])('%s → %j', (type, detail, line) => expect(lifecycleLine(event(type, detail))).toBe(line));

test('a long reason is cut to one line of at most maxLength characters', () => {
  const line = lifecycleLine(event(DETAIL_TYPES.failed, { reason: 'x'.repeat(500) }), 80)!;
  expect(line).toHaveLength(80);
  expect(line.endsWith('…')).toBe(true);
});

test("another source's event is not a lifecycle line", () => {
  expect(lifecycleLine({ source: 'aws.sagemaker', 'detail-type': DETAIL_TYPES.started, detail: {} })).toBeUndefined();
});
