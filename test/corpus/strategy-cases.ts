import { parseAppConfig } from '../../lib/config';
import { loadHandler } from '../../local/executor';
import { MODEL_ROLE } from '../../local/seed';
import { defaultLocalConfig } from '../../local/template';
import type { ExecutionCase } from './execution-cases';
import { ALARM, APPROVED, BLUE, CONTROL_EXECUTION_ARN, GROUP, PENDING, TWO_VARIANTS, type CorpusWorld } from './world';

/**
 * Bad values of the strategy fields (`strategy`, `traffic`, `validation.mode`), and of the limits
 * the guardrails strategy adds: as execution inputs (run by expectExecutionRejected, like
 * execution-cases.ts: rejected before any mutating call, the field named) and as approval routes
 * in the app's configuration (`modelPackageGroups.<group>.strategy/traffic`, refused at synth by
 * lib/config.ts, naming the entry).
 */
type Json = Record<string, unknown>;

/** A blue on one instance: a canary or a linear step is at most half of blue's instances. */
export const ONE_INSTANCE = 'demo-one';

/** What the strategy cases need beside the corpus world: the one-instance blue. */
export async function seedStrategyWorld(world: CorpusWorld): Promise<void> {
  await world.seed.blueEndpoint(ONE_INSTANCE, PENDING, 1);
}

const SAMPLE: Json = { name: 'typical-customer', body: '{"tenure": 3}', expectContains: 'modelPackageVersion' };

/** A valid guardrails input onto the hand-made blue (2 instances); each case changes one thing. */
function guardrails(fields: Json = {}, endpointName = BLUE): Json {
  return {
    endpointName,
    modelPackageArn: APPROVED,
    strategy: 'guardrails',
    bakeSeconds: 0,
    validation: { contentType: 'application/json', maxLatencyMs: 2000, samples: [SAMPLE] },
    guardrailAlarmNames: [ALARM],
    deadlines: { inServiceSeconds: 600 },
    executionRoleArn: MODEL_ROLE,
    requestedBy: 'bad-input-corpus',
    ...fields,
  };
}
const traffic = (t: Json, endpointName?: string) => guardrails({ traffic: t }, endpointName);
/** n alarm names: the count is refused before any of them is looked up. */
const alarms = (n: number) => Array.from({ length: n }, (_, i) => `corpus-alarm-${i}`);

const REJECTION = 'InvalidPromotionInput';

export const strategyCases: ExecutionCase[] = [
  // --- strategy
  { name: 'strategy not one of guardrails|variant', input: guardrails({ strategy: 'blue-green' }), error: REJECTION, message: /strategy: .*"guardrails".*"variant"/ },
  { name: 'strategy in upper case', input: guardrails({ strategy: 'GUARDRAILS' }), error: REJECTION, message: /strategy: .*"guardrails".*"variant"/ },
  { name: 'strategy a list', input: guardrails({ strategy: ['guardrails'] }), error: REJECTION, message: /strategy: / },
  // --- traffic
  { name: 'traffic with strategy variant', input: guardrails({ strategy: 'variant', traffic: { type: 'CANARY', percent: 10 } }), error: REJECTION, message: /traffic: SageMaker's traffic routing applies to the guardrails strategy, not variant/ },
  { name: 'traffic.type unknown (SHADOW)', input: traffic({ type: 'SHADOW' }), error: REJECTION, message: /traffic\.type: .*"ALL_AT_ONCE".*"CANARY".*"LINEAR"/ },
  { name: 'traffic.type missing', input: traffic({ percent: 10 }), error: REJECTION, message: /traffic\.type: / },
  { name: 'traffic.percent 0 (CANARY)', input: traffic({ type: 'CANARY', percent: 0 }), error: REJECTION, message: /traffic\.percent: .*>=1/ },
  { name: 'traffic.percent 51 (CANARY, over half the instances)', input: traffic({ type: 'CANARY', percent: 51 }), error: REJECTION, message: /traffic\.percent: .*<=50/ },
  { name: 'traffic.percent 5 with LINEAR', input: traffic({ type: 'LINEAR', percent: 5 }), error: REJECTION, message: /traffic\.percent: a LINEAR step is 10–50% of the instances/ },
  { name: 'traffic.percent fractional', input: traffic({ type: 'CANARY', percent: 12.5 }), error: REJECTION, message: /traffic\.percent: .*int/ },
  { name: 'traffic.waitSeconds 3601', input: traffic({ type: 'CANARY', percent: 10, waitSeconds: 3601 }), error: REJECTION, message: /traffic\.waitSeconds: .*<=3600/ },
  { name: 'traffic.waitSeconds negative', input: traffic({ type: 'LINEAR', percent: 25, waitSeconds: -1 }), error: REJECTION, message: /traffic\.waitSeconds: .*>=0/ },
  { name: 'ALL_AT_ONCE with percent', input: traffic({ type: 'ALL_AT_ONCE', percent: 10 }), error: REJECTION, message: /traffic\.type: ALL_AT_ONCE takes neither percent nor waitSeconds/ },
  { name: 'ALL_AT_ONCE with waitSeconds', input: traffic({ type: 'ALL_AT_ONCE', waitSeconds: 300 }), error: REJECTION, message: /traffic\.type: ALL_AT_ONCE takes neither percent nor waitSeconds/ },
  { name: 'unknown key in traffic (canarySize)', input: traffic({ type: 'CANARY', canarySize: 10 }), error: REJECTION, message: /traffic: Unrecognized key.*"canarySize"/ },
  { name: 'CANARY on an endpoint with one instance', input: traffic({ type: 'CANARY', percent: 50 }, ONE_INSTANCE), error: REJECTION, message: /traffic: CANARY needs at least 2 instances .*demo-one runs 1/ },
  { name: 'LINEAR on an endpoint with one instance', input: traffic({ type: 'LINEAR', percent: 50 }, ONE_INSTANCE), error: REJECTION, message: /traffic: LINEAR needs at least 2 instances .*demo-one runs 1/ },
  // --- validation.mode
  { name: 'validation.mode unknown (shadow)', input: guardrails({ validation: { mode: 'shadow', samples: [SAMPLE] } }), error: REJECTION, message: /validation\.mode: .*"endpoint".*"off"/ },
  { name: 'validation.mode a boolean', input: guardrails({ validation: { mode: false, samples: [SAMPLE] } }), error: REJECTION, message: /validation\.mode: / },
  // --- SageMaker's auto-rollback list: at most 10 alarms, 3 of them the strategy's own (1 with green alarms off)
  {
    name: 'guardrails with 8 guardrail alarms (8 + 3 own > 10)',
    input: guardrails({ guardrailAlarmNames: alarms(8) }),
    error: REJECTION,
    message: /guardrailAlarmNames: SageMaker's auto-rollback takes at most 10 alarms .* adds 3 of its own; name at most 7/,
  },
  {
    name: 'guardrails with 10 guardrail alarms and green alarms off (10 + 1 own > 10)',
    input: guardrails({ guardrailAlarmNames: alarms(10), greenAlarms: { enabled: false } }),
    error: REJECTION,
    message: /guardrailAlarmNames: SageMaker's auto-rollback takes at most 10 alarms .* adds 1 of its own; name at most 9/,
  },
  // --- endpoint
  {
    name: 'strategy guardrails on an endpoint with two production variants, no variantName',
    input: guardrails({}, TWO_VARIANTS),
    error: REJECTION,
    message: /^variantName: demo-two serves 2 production variants \(A, B\); name the one to promote in variantName/,
  },
  { name: 'variantName the endpoint does not have', input: guardrails({ variantName: 'C' }, TWO_VARIANTS), error: REJECTION, message: /^variantName: demo-two has no production variant C \(it serves A, B\)/ },
  { name: 'variantName not a SageMaker name', input: guardrails({ variantName: 'model_a' }, TWO_VARIANTS), error: REJECTION, message: /^variantName: variantName must match / },
  {
    name: 'strategy variant on an endpoint with two production variants',
    input: { ...guardrails({ variantName: 'A' }, TWO_VARIANTS), strategy: 'variant' },
    error: REJECTION,
    message: /^strategy: variant does not fit a multi-variant endpoint .*; use strategy guardrails/,
  },
  { name: 'strategy component on a real-time endpoint', input: { ...guardrails(), strategy: 'component' }, error: REJECTION, message: /^strategy: component does not fit a real-time endpoint .*; use strategy guardrails or variant/ },
  { name: 'inferenceComponentName on a real-time endpoint', input: guardrails({ inferenceComponentName: 'llm' }), error: REJECTION, message: /^inferenceComponentName: demo-[a-z-]+ is a real-time endpoint with no inference components/ },
  { name: 'rollingUpdate with the guardrails strategy', input: guardrails({ rollingUpdate: { maximumBatchCopies: 1 } }), error: REJECTION, message: /^rollingUpdate: a rolling update of copies applies to the component strategy/ },
  { name: 'rollingUpdate.maximumBatchCopies 0', input: guardrails({ rollingUpdate: { maximumBatchCopies: 0 } }), error: REJECTION, message: /^rollingUpdate\.maximumBatchCopies: maximumBatchCopies must be at least 1/ },
  { name: 'rollingUpdate.waitSeconds 3601', input: guardrails({ rollingUpdate: { waitSeconds: 3601 } }), error: REJECTION, message: /^rollingUpdate\.waitSeconds: .*<=3600/ },
  { name: 'validation.asyncOutputSeconds 601', input: guardrails({ validation: { samples: [SAMPLE], asyncOutputSeconds: 601 } }), error: REJECTION, message: /^validation\.asyncOutputSeconds: asyncOutputSeconds is at most 600/ },
  { name: 'validation.asyncOutputSeconds on a real-time endpoint', input: guardrails({ validation: { samples: [SAMPLE], asyncOutputSeconds: 60 } }), error: REJECTION, message: /^validation\.asyncOutputSeconds: demo-[a-z-]+ is a real-time endpoint, which answers synchronously/ },
];

/** ValidateInput (the handler, called directly) accepts what the cases start from: each case is rejected for its one change. */
export async function expectStrategyControlsValid(): Promise<void> {
  const validate = loadHandler('validate-input') as (e: unknown) => Promise<{ strategy: string; traffic: Json }>;
  const event = (input: unknown) => ({ input, executionName: 'control', executionArn: CONTROL_EXECUTION_ARN, startTime: new Date().toISOString() });
  const controls: Array<[Json, Json]> = [
    [guardrails(), { strategy: 'guardrails', traffic: { type: 'ALL_AT_ONCE' } }],
    [traffic({ type: 'CANARY', percent: 50, waitSeconds: 3600 }), { strategy: 'guardrails', traffic: { type: 'CANARY', percent: 50, waitSeconds: 3600 } }],
    [traffic({ type: 'LINEAR', percent: 10 }), { strategy: 'guardrails', traffic: { type: 'LINEAR', percent: 10 } }],
    [traffic({ type: 'ALL_AT_ONCE' }, ONE_INSTANCE), { strategy: 'guardrails' }],
    [guardrails({ guardrailAlarmNames: [ALARM], validation: { mode: 'off', samples: [SAMPLE] } }), { strategy: 'guardrails' }],
    [guardrails({ strategy: 'variant' }), { strategy: 'variant' }],
  ];
  for (const [input, expected] of controls) await expect(validate(event(input))).resolves.toMatchObject(expected);
}

// ---------------------------------------------------------------------------- approval routes (cdk.json)

export interface ConfigCase {
  name: string;
  /** The app's configuration (cdk.json's `bluegreen`), one thing changed. */
  config: unknown;
  /** What parseAppConfig's error must say: the entry and the problem. */
  message: RegExp;
}

/** cdk.json's configuration with the `churn-models` route changed. */
function withRoute(fields: Json, top: Json = {}): unknown {
  const config = defaultLocalConfig();
  const route = config.modelPackageGroups?.[GROUP];
  if (!route) throw new Error(`cdk.json routes no ${GROUP}: the config cases start from that route`);
  return { ...config, ...top, modelPackageGroups: { ...config.modelPackageGroups, [GROUP]: { ...route, ...fields } } };
}
const ROUTE = `bluegreen\\.modelPackageGroups\\.${GROUP}`;
const routeField = (field: string, problem = '') => new RegExp(`${ROUTE}\\.${field.replace(/\./g, '\\.')}: ${problem}`);

export const configCases: ConfigCase[] = [
  { name: 'stack strategy not one of guardrails|variant', config: { ...defaultLocalConfig(), strategy: 'canary' }, message: /bluegreen\.strategy: .*"guardrails".*"variant"/ },
  { name: 'route strategy not one of guardrails|variant', config: withRoute({ strategy: 'blue-green' }), message: routeField('strategy', '.*"guardrails".*"variant"') },
  { name: 'route traffic.type unknown', config: withRoute({ strategy: 'guardrails', traffic: { type: 'SHADOW' } }), message: routeField('traffic.type') },
  { name: 'route traffic.percent 51', config: withRoute({ strategy: 'guardrails', traffic: { type: 'CANARY', percent: 51 } }), message: routeField('traffic.percent', '.*<=50') },
  { name: 'route traffic.percent 5 with LINEAR', config: withRoute({ strategy: 'guardrails', traffic: { type: 'LINEAR', percent: 5 } }), message: routeField('traffic.percent', 'a LINEAR step is 10–50%') },
  { name: 'route traffic.waitSeconds 3601', config: withRoute({ strategy: 'guardrails', traffic: { type: 'CANARY', percent: 10, waitSeconds: 3601 } }), message: routeField('traffic.waitSeconds', '.*<=3600') },
  { name: 'route ALL_AT_ONCE with percent', config: withRoute({ strategy: 'guardrails', traffic: { type: 'ALL_AT_ONCE', percent: 10 } }), message: routeField('traffic.type', 'ALL_AT_ONCE takes neither percent nor waitSeconds') },
  { name: 'route validation.mode unknown', config: withRoute({ validation: { mode: 'shadow' } }), message: routeField('validation.mode') },
  // Cross-field rules ValidateInput applies to every execution; a route breaking them would start only rejected promotions.
  { name: 'route traffic with route strategy variant', config: withRoute({ strategy: 'variant', traffic: { type: 'CANARY', percent: 10 } }), message: routeField('traffic', '.*guardrails') },
  { name: 'route traffic with stack strategy variant (route names none)', config: withRoute({ traffic: { type: 'CANARY', percent: 10 } }, { strategy: 'variant' }), message: routeField('traffic', '.*guardrails') },
  { name: 'route with 8 guardrail alarms and strategy guardrails (8 + 3 own > 10)', config: withRoute({ strategy: 'guardrails', guardrailAlarmNames: alarms(8) }), message: routeField('guardrailAlarmNames', '.*10') },
  // Model Registry decisions during a promotion (lambdas/shared/queue.ts): what a newer approval does, and downgrades.
  { name: 'route onNewerApproval not one of queue|supersede', config: withRoute({ onNewerApproval: 'replace' }), message: routeField('onNewerApproval', 'use "queue" \\(the default: .*\\) or "supersede"') },
  { name: 'route onNewerApproval in upper case', config: withRoute({ onNewerApproval: 'QUEUE' }), message: routeField('onNewerApproval', 'use "queue"') },
  { name: 'route onNewerApproval a boolean', config: withRoute({ onNewerApproval: true }), message: routeField('onNewerApproval', 'use "queue"') },
  { name: 'route allowDowngrade a string', config: withRoute({ allowDowngrade: 'yes' }), message: routeField('allowDowngrade', 'use true \\(promote approvals of older versions too\\) or false') },
  { name: 'route allowDowngrade a number', config: withRoute({ allowDowngrade: 1 }), message: routeField('allowDowngrade', 'use true') },
  { name: 'route option misspelled (allowDowngrades)', config: withRoute({ allowDowngrades: true }), message: new RegExp(`${ROUTE}: Unrecognized key: "allowDowngrades"`) },
];

/** cdk.json's configuration parses, and so does a guardrails route with its own traffic. */
export function expectConfigControlsValid(): void {
  expect(() => parseAppConfig(defaultLocalConfig())).not.toThrow();
  expect(() => parseAppConfig(withRoute({ strategy: 'guardrails', traffic: { type: 'LINEAR', percent: 10, waitSeconds: 600 }, guardrailAlarmNames: alarms(7) }))).not.toThrow();
  expect(() => parseAppConfig(withRoute({ onNewerApproval: 'supersede', allowDowngrade: true }))).not.toThrow();
  expect(() => parseAppConfig(withRoute({ onNewerApproval: 'queue', allowDowngrade: false }))).not.toThrow();
}

/** parseAppConfig refuses the configuration, naming the entry and the problem. */
export function expectConfigRejected({ name, config, message }: ConfigCase): void {
  let error: string | undefined;
  try {
    parseAppConfig(config);
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  expect({ case: name, error: error ?? 'accepted' }).toEqual({ case: name, error: expect.stringMatching(message) });
}
