import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, SageMakerClient, waitUntilEndpointInService } from '@aws-sdk/client-sagemaker';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalAws, type LocalAws } from '../../local/aws';
import { MODEL_ROLE, Seed } from '../../local/seed';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../local/template';
import { expectNoHazards } from '../support/hazards';

/**
 * The bad-input corpus's world: the local AWS with the app's own configuration (cdk.json:
 * endpoints `churn-prediction` and `demo-*`, group `churn-models` routed to
 * `churn-prediction`, one allowed model role), seeded so that an input "valid except one
 * field" is meaningful:
 *
 * - `churn-models` v1 PendingManualApproval (blue's hand-made model), v2 Approved, v3 Rejected;
 * - `fraud-models` v1 Approved, a group the stack is not configured for;
 * - `demo-churn`, a hand-made blue serving v1 (Seed.blueEndpoint);
 * - `demo-two`, an endpoint with two production variants (which the workflow cannot promote);
 * - the guardrail alarm `demo-churn-p99-latency`.
 *
 * Approving v2 makes the approval trigger promote `churn-prediction` (a first deployment):
 * the world lets that execution end before any case runs, so each case's footprint is its own.
 */
export const GROUP = 'churn-models';
export const FOREIGN_GROUP = 'fraud-models';
export const BLUE = 'demo-churn';
export const ALARM = 'demo-churn-p99-latency';
export const TWO_VARIANTS = 'demo-two';

export const packageArn = (group: string, version: number | string, region = LOCAL_REGION) =>
  `arn:aws:sagemaker:${region}:${LOCAL_ACCOUNT}:model-package/${group}/${version}`;
/** The execution ARN the control calls pass ValidateInput (called directly): the stack's account and region are read from it. */
export const CONTROL_EXECUTION_ARN = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:bluegreen-promotion:control`;
export const PENDING = packageArn(GROUP, 1);
export const APPROVED = packageArn(GROUP, 2);
export const REJECTED = packageArn(GROUP, 3);
export const FOREIGN = packageArn(FOREIGN_GROUP, 1);

export interface CorpusWorld {
  aws: LocalAws;
  seed: Seed;
  sagemaker: SageMakerClient;
  sfn: SFNClient;
  dynamo: DynamoDBDocumentClient;
}

export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Every execution ended and every event delivered: nothing of the set-up (or of an earlier case)
 * runs on. And nothing deleted a config or model an endpoint was using (test/support/hazards.ts).
 */
export async function settle(aws: LocalAws, except: string[] = []): Promise<void> {
  await eventually(() => !aws.stepFunctions.list().some((e) => e.status === 'RUNNING' && !except.includes(e.arn)), 'running executions to end');
  expectNoHazards(aws.emulator);
}

/** An endpoint with two production variants: the variant strategy cannot promote it. */
async function twoVariantEndpoint(sagemaker: SageMakerClient, endpointName: string, modelPackageArn: string): Promise<void> {
  await sagemaker.send(new CreateModelCommand({ ModelName: `${endpointName}-model`, ExecutionRoleArn: MODEL_ROLE, PrimaryContainer: { ModelPackageName: modelPackageArn } }));
  await sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: `${endpointName}-config`,
      ProductionVariants: ['A', 'B'].map((VariantName) => ({ VariantName, ModelName: `${endpointName}-model`, InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 1 })),
    }),
  );
  await sagemaker.send(new CreateEndpointCommand({ EndpointName: endpointName, EndpointConfigName: `${endpointName}-config` }));
  await waitUntilEndpointInService({ client: sagemaker, maxWaitTime: 60, minDelay: 0.05, maxDelay: 0.2 } as never, { EndpointName: endpointName });
}

export async function startCorpusWorld(options: { blues?: string[] } = {}): Promise<CorpusWorld> {
  // Fleets that provision in a simulated minute keep the corpus fast; the workflow is the same.
  const aws = await startLocalAws({ provisioningSeconds: 60 });
  const seed = new Seed();
  const sagemaker = new SageMakerClient({});
  await seed.group(GROUP);
  const versions = [await seed.register(GROUP), await seed.register(GROUP), await seed.register(GROUP)];
  expect(versions).toEqual([PENDING, APPROVED, REJECTED]);
  await seed.setApproval(APPROVED, 'Approved');
  await seed.group(FOREIGN_GROUP);
  expect(await seed.register(FOREIGN_GROUP)).toBe(FOREIGN);
  await seed.setApproval(FOREIGN, 'Approved');
  await new CloudWatchClient({}).send(
    new PutMetricAlarmCommand({
      AlarmName: ALARM,
      Namespace: 'AWS/SageMaker',
      MetricName: 'ModelLatency',
      Dimensions: [{ Name: 'EndpointName', Value: BLUE }, { Name: 'VariantName', Value: 'AllTraffic' }],
      Statistic: 'Average',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1_000_000,
      ComparisonOperator: 'GreaterThanThreshold',
    }),
  );
  await Promise.all([
    ...[BLUE, ...(options.blues ?? [])].map((endpointName) => seed.blueEndpoint(endpointName, PENDING)),
    twoVariantEndpoint(sagemaker, TWO_VARIANTS, PENDING),
  ]);
  // The approval of v2 promotes churn-prediction (cdk.json routes churn-models there).
  await eventually(() => aws.stepFunctions.list().length > 0, 'the approval trigger to start a promotion');
  await settle(aws);
  // A rejection of a version nothing serves: the trigger looks and starts nothing.
  const delivered = aws.deliveries.length;
  await seed.setApproval(REJECTED, 'Rejected');
  await eventually(() => aws.deliveries.length > delivered && aws.deliveries.every((d) => d.result !== undefined || d.error !== undefined), 'the rejection to be delivered');
  await settle(aws);
  return { aws, seed, sagemaker, sfn: new SFNClient({}), dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({})) };
}

/** What a case may leave behind: emulator calls, history/lock items, executions. */
export interface Footprint {
  calls: number;
  table: Map<string, string>;
  executions: Set<string>;
}

/** Table items by key; the bake's task token (rewritten at every poll of a promotion in flight) is left out. */
async function tableItems(world: CorpusWorld): Promise<Map<string, string>> {
  const items = new Map<string, string>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await world.dynamo.send(new ScanCommand({ TableName: world.aws.tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const { bakeTaskToken: _token, ...rest } = item;
      items.set(`${String(item.endpointName)}|${String(item.sk)}`, JSON.stringify(rest));
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

export async function footprint(world: CorpusWorld): Promise<Footprint> {
  return { calls: world.aws.emulator.callLog.length, table: await tableItems(world), executions: new Set(world.aws.stepFunctions.list().map((e) => e.arn)) };
}

/** `op ×n` per mutating operation, and `key (outcome: reason)` per table write: short enough for a failure message. */
export function summarize(changes: Changes): { mutatingCalls: string[]; tableWrites: string[] } {
  const counts = new Map<string, number>();
  for (const op of changes.mutatingCalls) counts.set(op, (counts.get(op) ?? 0) + 1);
  return {
    mutatingCalls: [...counts].map(([op, count]) => `${op} ×${count}`),
    tableWrites: Object.entries(changes.tableWrites).map(([key, item]) => {
      const row = item as { outcome?: string; reason?: string } | null;
      return row === null ? `${key} deleted` : row.outcome ? `${key} (${row.outcome}: ${row.reason ?? ''})` : key;
    }),
  };
}

export interface Changes {
  /** Emulator operations other than Describe… and List… (each `service.Operation`). */
  mutatingCalls: string[];
  /** Table items written, changed or deleted (key → item after, or null when deleted). */
  tableWrites: Record<string, unknown>;
  /** Executions started since (names). */
  newExecutions: string[];
}

export async function changesSince(world: CorpusWorld, before: Footprint): Promise<Changes> {
  const after = await footprint(world);
  const mutatingCalls = world.aws.emulator.callLog
    .slice(before.calls)
    .filter((c) => !/^(Describe|List|Get|Head)/.test(c.operation)) // reads (S3 GetObject/HeadObject included) change nothing
    .map((c) => `${c.service}.${c.operation}`);
  const tableWrites: Record<string, unknown> = {};
  for (const [key, item] of after.table) if (before.table.get(key) !== item) tableWrites[key] = JSON.parse(item) as unknown;
  for (const key of before.table.keys()) if (!after.table.has(key)) tableWrites[key] = null;
  const newExecutions = world.aws.stepFunctions
    .list()
    .filter((e) => !before.executions.has(e.arn))
    .map((e) => e.name);
  return { mutatingCalls, tableWrites, newExecutions };
}

export interface ExecutionEnd {
  /** StartExecution refused the input (the error name and message). */
  startError?: string;
  status?: string;
  error?: string;
  cause?: string;
  /** States entered, in order. */
  states: string[];
}

/**
 * StartExecution through the real SFN client, wait for the end, then DescribeExecution and
 * GetExecutionHistory through it. An execution still running after `timeoutMs` (an input
 * that was not rejected, and then got stuck) is stopped.
 */
export async function runExecution(world: CorpusWorld, name: string, input: string, timeoutMs = 15_000): Promise<ExecutionEnd> {
  let executionArn: string;
  try {
    executionArn = (await world.sfn.send(new StartExecutionCommand({ stateMachineArn: world.aws.stateMachineArn, name, input }))).executionArn!;
  } catch (error) {
    return { startError: error instanceof Error ? `${error.name}: ${error.message}` : String(error), states: [] };
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  if ((await Promise.race([world.aws.stepFunctions.waitFor(executionArn), timedOut])) === 'timeout') {
    await world.sfn.send(new StopExecutionCommand({ executionArn, error: 'CorpusTimeout', cause: `still running after ${timeoutMs} ms: the input was not rejected` }));
    await world.aws.stepFunctions.waitFor(executionArn);
  }
  clearTimeout(timer);
  const described = await world.sfn.send(new DescribeExecutionCommand({ executionArn }));
  const history = await world.sfn.send(new GetExecutionHistoryCommand({ executionArn }));
  const states = (history.events ?? []).flatMap((e) => (e.stateEnteredEventDetails?.name ? [e.stateEnteredEventDetails.name] : []));
  return { status: described.status, error: described.error, cause: described.cause, states };
}

/** Counts the cases of a file and how many held (ran to the end of their assertions). */
export class Tally {
  private cases = 0;
  private held = 0;
  private readonly failed: string[] = [];

  async run(name: string, body: () => Promise<void>): Promise<void> {
    this.cases++;
    try {
      await body();
    } catch (error) {
      this.failed.push(name);
      throw error;
    }
    this.held++;
  }

  report(label: string): void {
    const failed = this.failed.length > 0 ? `; did not hold: ${this.failed.join(' | ')}` : '';
    console.log(`bad-input corpus (${label}): ${this.cases} cases, ${this.held} held${failed}`);
  }
}
