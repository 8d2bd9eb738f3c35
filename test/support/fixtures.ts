import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchServiceException } from '@aws-sdk/client-cloudwatch';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { SageMakerServiceException, type DescribeEndpointOutput, type ProductionVariantSummary } from '@aws-sdk/client-sagemaker';
import { ModelError } from '@aws-sdk/client-sagemaker-runtime';
import type { BlueState, GreenState, Promotion, PromotionState } from '../../lambdas/shared/contracts';
import { greenNames } from '../../lambdas/shared/naming';
import { CONFIG_FILE_ENV, ENV, type FunctionConfig } from '../../lambdas/shared/settings';

/**
 * Builders of state documents and of the errors the services really return, for the unit
 * tests. Green's names come from the real `greenNames`, so fixtures and handlers agree.
 */
export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';
export const ENDPOINT = 'churn-prediction';
export const PROMOTION_ID = 'promotion-1';
export const ROLE = `arn:aws:iam::${ACCOUNT}:role/SageMakerModelExecution`;
export const packageArn = (version: number, group = 'churn-models') => `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package/${group}/${version}`;

/** Blue as it is before any promotion by this tool: names the tool did not create. */
export const BLUE_CONFIG = 'churn-v1-config';
export const BLUE_MODEL = 'churn-v1';
export const BLUE_VARIANT = 'AllTraffic';
/** Blue's instance count as it runs (aBlue), and so green's (sized as blue runs). */
export const BLUE_INSTANCES = 2;

export function aPromotion(overrides: Partial<Promotion> = {}): Promotion {
  const id = overrides.id ?? PROMOTION_ID;
  const endpointName = overrides.endpointName ?? ENDPOINT;
  const version = overrides.modelPackageVersion ?? 2;
  return {
    id,
    executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:bluegreen-promotion:${id}`,
    endpointName,
    modelPackageArn: packageArn(version),
    modelPackageGroup: 'churn-models',
    modelPackageVersion: version,
    startedAt: '2025-01-01T00:00:00.000Z',
    requestedBy: 'unit-test',
    strategy: 'variant',
    traffic: { type: 'ALL_AT_ONCE' },
    bakeSeconds: 120,
    pollSeconds: 30,
    inServicePolls: 4,
    endpointEvents: false,
    validation: { mode: 'endpoint', contentType: 'application/json', maxLatencyMs: 1000, samples: [] },
    guardrailAlarmNames: [],
    greenAlarms: { enabled: true, max5xxErrors: 0, maxModelLatencyMs: 1000 },
    names: greenNames(endpointName, version, id),
    ...overrides,
  };
}

export function aBlue(overrides: Partial<BlueState> = {}): BlueState {
  return {
    exists: true,
    endpointConfigName: BLUE_CONFIG,
    variants: [{ variantName: BLUE_VARIANT, modelName: BLUE_MODEL, currentWeight: 1, currentInstanceCount: BLUE_INSTANCES }],
    modelNames: [BLUE_MODEL],
    executionRoleArn: ROLE,
    modelPackageArn: packageArn(1),
    modelPackageVersion: 1,
    ...overrides,
  };
}

export const NO_BLUE: BlueState = { exists: false, variants: [], modelNames: [] };

export function aGreen(promotion: Promotion, options: { firstDeployment?: boolean } = {}): GreenState {
  const { names } = promotion;
  return {
    modelName: names.model,
    variantName: names.variant,
    greenConfigName: names.greenConfig,
    pairConfigName: options.firstDeployment ? undefined : names.pairConfig,
    created: [`model ${names.model}`, `endpoint config ${names.greenConfig}`, ...(options.firstDeployment ? [] : [`endpoint config ${names.pairConfig}`])],
  };
}

/** How far the workflow got: each stage adds what its step stores in the state document. */
export type Stage = 'validated' | 'described' | 'greenCreated' | 'stoodUp' | 'shifted' | 'baking' | 'finalized';
const ORDER: Stage[] = ['validated', 'described', 'greenCreated', 'stoodUp', 'shifted', 'baking', 'finalized'];

export interface StateOptions {
  firstDeployment?: boolean;
  promotion?: Partial<Promotion>;
}

/** The state document as the state machine holds it once `stage` has completed. */
export function stateAt(stage: Stage, options: StateOptions = {}, overrides: Partial<Omit<PromotionState, 'promotion'>> = {}): PromotionState {
  const reached = (s: Stage) => ORDER.indexOf(stage) >= ORDER.indexOf(s);
  const promotion = aPromotion(options.promotion);
  const green = aGreen(promotion, options);
  const state: PromotionState = { promotion, lock: { owner: promotion.id, acquiredAt: '2025-01-01T00:00:01.000Z' } };
  if (reached('described')) state.blue = options.firstDeployment ? NO_BLUE : aBlue();
  if (reached('greenCreated')) state.green = green;
  if (reached('stoodUp')) {
    state.standUp = options.firstDeployment
      ? { action: 'CreateEndpoint', configName: green.greenConfigName, at: '2025-01-01T00:01:00.000Z' }
      : { action: 'UpdateEndpoint', configName: green.pairConfigName!, at: '2025-01-01T00:01:00.000Z' };
    state.validation = { passed: true, samples: [{ name: 'typical-customer', ok: true, latencyMs: 42, status: 200 }] };
  }
  if (reached('shifted') && !options.firstDeployment) {
    state.shift = { weights: { [BLUE_VARIANT]: 0, [green.variantName]: 1 }, at: '2025-01-01T00:10:00.000Z' };
  }
  if (reached('baking') && !options.firstDeployment) {
    const createdAlarms = [`${promotion.names.alarmPrefix}-5xx`, `${promotion.names.alarmPrefix}-latency`];
    const seconds = promotion.bakeSeconds;
    state.bake = { alarmNames: [...promotion.guardrailAlarmNames, ...createdAlarms], createdAlarms, seconds, elapsedSeconds: 0, waitSeconds: seconds, done: seconds === 0, startedAt: '2025-01-01T00:11:00.000Z' };
  }
  if (reached('finalized') && !options.firstDeployment) {
    state.finalize = { configName: green.greenConfigName, at: '2025-01-01T00:20:00.000Z' };
  }
  return { ...state, ...overrides };
}

export interface VariantView {
  name: string;
  weight: number;
  desired?: number;
  /** Default: blue's as aBlue describes it (a count nobody changed; lambdas/shared/outside.ts judges counts). */
  instances?: number;
}

/** DescribeEndpoint's answer for an endpoint on `config` with these variants. */
export function anEndpoint(config: string, variants: VariantView[], extra: Partial<DescribeEndpointOutput> = {}): DescribeEndpointOutput {
  const summaries: ProductionVariantSummary[] = variants.map((v) => ({
    VariantName: v.name,
    CurrentWeight: v.weight,
    DesiredWeight: v.desired ?? v.weight,
    CurrentInstanceCount: v.instances ?? BLUE_INSTANCES,
    DesiredInstanceCount: v.instances ?? BLUE_INSTANCES,
  }));
  return {
    EndpointName: ENDPOINT,
    EndpointArn: endpointArn(ENDPOINT),
    EndpointConfigName: config,
    EndpointStatus: 'InService',
    ProductionVariants: summaries,
    CreationTime: new Date('2024-06-01T00:00:00Z'),
    LastModifiedTime: new Date('2024-06-01T00:00:00Z'),
    ...extra,
  };
}

export const endpointArn = (name: string) => `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/${name.toLowerCase()}`;

const metadata = (httpStatusCode: number) => ({ httpStatusCode, requestId: 'req-1', attempts: 1, totalRetryDelay: 0 });

/** SageMaker's generic error (ValidationException, ThrottlingException, ...), as the SDK deserializes it. */
export function sageMakerError(name: string, message: string, httpStatusCode = 400): SageMakerServiceException {
  return new SageMakerServiceException({ name, $fault: 'client', $metadata: metadata(httpStatusCode), message });
}

/** DescribeX/DeleteX of a missing resource: ValidationException "Could not find ...", not ResourceNotFound. */
export function notFound(kind: 'endpoint' | 'endpoint configuration' | 'model', name: string): SageMakerServiceException {
  const arnKind = kind === 'endpoint configuration' ? 'endpoint-config' : kind;
  return sageMakerError('ValidationException', `Could not find ${kind} "arn:aws:sagemaker:${REGION}:${ACCOUNT}:${arnKind}/${name.toLowerCase()}".`);
}

export function alreadyExists(kind: 'model' | 'endpoint configuration', name: string): SageMakerServiceException {
  const arnKind = kind === 'endpoint configuration' ? 'endpoint-config' : kind;
  return sageMakerError('ValidationException', `Cannot create already existing ${kind} "arn:aws:sagemaker:${REGION}:${ACCOUNT}:${arnKind}/${name.toLowerCase()}".`);
}

export const inProgress = (name = ENDPOINT) => sageMakerError('ValidationException', `Cannot update in-progress endpoint "${endpointArn(name)}".`);

export const throttled = () => sageMakerError('ThrottlingException', 'Rate exceeded');

export const cloudWatchError = (name: string, message: string) =>
  new CloudWatchServiceException({ name, $fault: 'client', $metadata: metadata(400), message });

export const conditionalCheckFailed = () =>
  new ConditionalCheckFailedException({ $metadata: metadata(400), message: 'The conditional request failed' });

/** InvokeEndpoint when the model container answers non-2xx: SageMaker says 424 ModelError and passes the container's status on. */
export function modelError(originalStatusCode: number, message = 'boom'): ModelError {
  return new ModelError({
    $metadata: metadata(424),
    message: `Received server error (${originalStatusCode}) from primary with message "${message}". See https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logEventViewer:group=/aws/sagemaker/Endpoints/${ENDPOINT} in account ${ACCOUNT} for more information.`,
    OriginalStatusCode: originalStatusCode,
    OriginalMessage: message,
    LogStreamArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/sagemaker/Endpoints/${ENDPOINT}`,
  });
}

/**
 * GetItem's answer for the endpoint's lock held by `promotionId`'s promotion, as acquire-lock left
 * it: every step after AcquireLock reads the lock first and acts only while its promotion holds it
 * (lambdas/shared/abort.ts throwIfPromotionEnded).
 */
export function lockHeldBy(promotionId = PROMOTION_ID, extra: Record<string, unknown> = {}) {
  return {
    Item: { endpointName: ENDPOINT, sk: 'LOCK', promotionId, executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:bluegreen-promotion:${promotionId}`, inFlight: 'yes', ...extra },
  };
}

export type StepSettings = Partial<FunctionConfig['settings']> & Partial<Pick<FunctionConfig, 'approvalRoutes' | 'registryGroups'>>;

/** The settings a test's configuration starts from (the construct's defaults, the fixtures' endpoint, role and group). */
export const STEP_SETTINGS: FunctionConfig['settings'] = {
  pollSeconds: 30,
  defaultBakeSeconds: 600,
  defaultInServiceSeconds: 1800,
  defaultMaxLatencyMs: 2000,
  defaultAlarmNames: [],
  allowedEndpointNames: [ENDPOINT],
  allowedRoleArns: [ROLE],
  allowedModelPackageGroups: ['churn-models'],
  validationPayloadBuckets: [],
  asyncOutputBuckets: ['async-inference'],
  greenAlarmDefaults: { enabled: true, max5xxErrors: 0, maxModelLatencyMs: 1000 },
  defaultStrategy: 'guardrails',
  endpointEvents: false,
  executionTimeoutSeconds: 86_400,
};

let configFiles = 0;
const configDir = mkdtempSync(join(tmpdir(), 'bluegreen-config-'));

/**
 * What lib/functions.ts gives every step function: the table in the environment, the rest in a
 * bluegreen.json (written to a new file each call: lambdas/shared/settings.ts reads a file once).
 */
export function setStepEnvironment(overrides: StepSettings = {}): void {
  const { approvalRoutes = {}, registryGroups = [], ...settings } = overrides;
  const config: FunctionConfig = { settings: { ...STEP_SETTINGS, ...settings }, approvalRoutes, registryGroups };
  const file = join(configDir, `bluegreen-${process.pid}-${++configFiles}.json`);
  writeFileSync(file, JSON.stringify(config));
  process.env[ENV.tableName] = 'bluegreen-promotions';
  process.env[CONFIG_FILE_ENV] = file;
}

/** Changes some settings of the configuration the last setStepEnvironment wrote. */
export function changeStepSettings(changes: StepSettings): void {
  const current = JSON.parse(readFileSync(process.env[CONFIG_FILE_ENV]!, 'utf8')) as FunctionConfig;
  const { approvalRoutes = current.approvalRoutes, registryGroups = current.registryGroups, ...settings } = changes;
  setStepEnvironment({ ...current.settings, ...settings, approvalRoutes, registryGroups });
}

