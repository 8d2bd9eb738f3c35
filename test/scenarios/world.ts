import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeEndpointCommand, SageMakerClient, waitUntilEndpointInService, type DescribeEndpointOutput } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand, type DescribeExecutionOutput } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { historySk, LOCK_SK, tableKey } from '../../lambdas/shared/contracts';
import { greenNames, type GreenNames } from '../../lambdas/shared/naming';
import { recoveryName } from '../../lambdas/shared/recovery';
import { startLocalAws, type LocalAws } from '../../local/aws';
import { Seed } from '../../local/seed';
import { expectNoHazards } from '../support/hazards';

/**
 * A whole-promotion world: the local AWS (synthesized stack, emulator, dynalite, local
 * Step Functions, event bus) and real SDK clients pointed at it, as a user or the CLI
 * would have them. One per test file; endpoints are named per scenario, so scenarios
 * in one file do not see each other's resources.
 */
export interface World {
  aws: LocalAws;
  seed: Seed;
  sagemaker: SageMakerClient;
  runtime: SageMakerRuntimeClient;
  cloudwatch: CloudWatchClient;
  sfn: SFNClient;
  dynamo: DynamoDBDocumentClient;
  /** Versions 1 (PendingManualApproval: blue's hand-made model) and 2 (Approved: green) of `churn-models`. */
  v1: string;
  v2: string;
  /** The executions the approval of v2 started (the approval trigger's promotion of `churn-prediction`). */
  approvalExecutions: string[];
}

export const GROUP = 'churn-models';

/**
 * Starts the local AWS with the app's own configuration (cdk.json). Only `churn-models`
 * may be deployed, and approving one of its versions promotes it onto `churn-prediction`
 * (the approval trigger): so the world approves v2 once, lets that promotion end, and the
 * scenarios then start their own promotions onto `demo-*` endpoints, which no approval routes to.
 * `blues`: the scenarios' endpoints, each a hand-made blue serving v1 (deployed side by side).
 */
export async function startWorld(blues: string[], options: { timeScale?: number } = {}): Promise<World> {
  const aws = await startLocalAws({ timeScale: options.timeScale });
  const seed = new Seed();
  await seed.group(GROUP);
  const v1 = await seed.register(GROUP);
  const v2 = await seed.register(GROUP);
  await seed.setApproval(v2, 'Approved');
  await Promise.all(blues.map((endpointName) => seed.blueEndpoint(endpointName, v1)));
  await eventually(() => aws.stepFunctions.list().length > 0, 'the approval trigger to start a promotion');
  const approvalExecutions = aws.stepFunctions.list().map((e) => e.arn);
  await Promise.all(approvalExecutions.map((arn) => aws.stepFunctions.waitFor(arn)));
  return {
    aws,
    seed,
    sagemaker: new SageMakerClient({}),
    runtime: new SageMakerRuntimeClient({}),
    cloudwatch: new CloudWatchClient({}),
    sfn: new SFNClient({}),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    v1,
    v2,
    approvalExecutions,
  };
}

/**
 * Lets every execution end and clears the faults: run after each scenario, so a failed
 * assertion does not leave a promotion running into the next one. Then fails the scenario if
 * anything deleted a config or model an endpoint was using (test/support/hazards.ts).
 */
export async function settle(world: World): Promise<void> {
  await Promise.all(world.aws.stepFunctions.list().map((e) => world.aws.stepFunctions.waitFor(e.arn)));
  world.aws.emulator.faults.clear();
  expectNoHazards(world.aws.emulator);
}

export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface PromotionInputOverrides {
  deadlines?: { inServiceSeconds: number };
  guardrailAlarmNames?: string[];
  /** Latency ceiling of each validation request (default: the stack's). */
  maxLatencyMs?: number;
}

/** The documented input, with a short bake: 300 simulated seconds = 10 polls. */
export function promotionInput(endpointName: string, modelPackageArn: string, overrides: PromotionInputOverrides = {}): Record<string, unknown> {
  const { maxLatencyMs, ...rest } = overrides;
  return {
    endpointName,
    modelPackageArn,
    // The variant strategy's scenarios; the guardrails strategy has its own (test/scenarios/guardrails.test.ts).
    strategy: 'variant',
    bakeSeconds: 300,
    validation: {
      contentType: 'application/json',
      maxLatencyMs,
      samples: [
        { name: 'typical-customer', body: '{"customer_id": "C-1001", "tenure_months": 14}', expectContains: 'modelPackageVersion' },
        { name: 'new-customer', body: '{"customer_id": "C-2002", "tenure_months": 0}', expectedStatus: 200 },
      ],
    },
    requestedBy: 'scenario-test',
    ...rest,
  };
}

export interface Promotion {
  /** The execution name, which is also the promotion id. */
  id: string;
  executionArn: string;
  endpointName: string;
  /** What the promotion creates, by the documented naming scheme. */
  green: GreenNames;
}

/** StartExecution through the real Step Functions client, as the CLI or a console user would. */
export async function startPromotion(world: World, id: string, input: Record<string, unknown>): Promise<Promotion> {
  const out = await world.sfn.send(new StartExecutionCommand({ stateMachineArn: world.aws.stateMachineArn, name: id, input: JSON.stringify(input) }));
  return { ...plannedPromotion(id, input), executionArn: out.executionArn! };
}

/** The promotion an input will start, before it starts: names are deterministic per promotion id. */
export function plannedPromotion(id: string, input: Record<string, unknown>): Omit<Promotion, 'executionArn'> {
  const endpointName = String(input.endpointName);
  const version = Number(/\/(\d+)$/.exec(String(input.modelPackageArn))?.[1]);
  return { id, endpointName, green: greenNames(endpointName, version, id) };
}

export interface Ended extends DescribeExecutionOutput {
  /** The states entered: what Step Functions bills as state transitions. */
  statesEntered: string[];
}

/** Waits for the execution to end; returns DescribeExecution (as the SDK sees it) and the states it went through. */
export async function ended(world: World, executionArn: string): Promise<Ended> {
  const execution = await world.aws.stepFunctions.waitFor(executionArn);
  const described = await world.sfn.send(new DescribeExecutionCommand({ executionArn }));
  return { ...described, statesEntered: execution.events.filter((e) => e.type === 'StateEntered').map((e) => e.state ?? '?') };
}

/** The recovery execution (`<promotion id>-recover`, then `-recover-2`…) of a stopped promotion, once it has ended. */
export async function recoveryEnded(world: World, promotionId: string, attempt = 1): Promise<Ended> {
  const name = recoveryName(promotionId, attempt);
  const find = () => world.aws.stepFunctions.list().find((e) => e.name === name);
  await eventually(() => find() !== undefined, `recovery ${name} to start`);
  return ended(world, find()!.arn);
}

/** Resolves once the execution has entered `state` (the history grows while it runs). */
export async function entered(world: World, executionArn: string, state: string): Promise<void> {
  await eventually(() => {
    const execution = world.aws.stepFunctions.list().find((e) => e.arn === executionArn);
    if (execution && execution.status !== 'RUNNING') throw new Error(`${executionArn} ended ${execution.status} before entering ${state}`);
    return execution?.events.some((e) => e.type === 'StateEntered' && e.state === state) ?? false;
  }, `${executionArn} to enter ${state}`);
}

export async function describeEndpoint(world: World, endpointName: string): Promise<DescribeEndpointOutput> {
  return world.sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
}

export async function waitInService(world: World, endpointName: string): Promise<void> {
  await waitUntilEndpointInService({ client: world.sagemaker, maxWaitTime: 60, minDelay: 0.05, maxDelay: 0.2 } as never, { EndpointName: endpointName });
}

/** The variants as a compact, comparable shape. */
export function variantsOf(endpoint: DescribeEndpointOutput): Array<{ VariantName?: string; CurrentWeight?: number }> {
  return (endpoint.ProductionVariants ?? []).map((v) => ({ VariantName: v.VariantName, CurrentWeight: v.CurrentWeight }));
}

/** The models, endpoint configs and alarms of one endpoint that exist now (sorted names). */
export function resourcesOf(world: World, endpointName: string): { models: string[]; endpointConfigs: string[]; alarms: string[] } {
  const snapshot = world.aws.emulator.inspect();
  const own = (names: string[]) => names.filter((n) => n.startsWith(`${endpointName}-`)).sort();
  return {
    models: own(Object.keys(snapshot.models)),
    endpointConfigs: own(Object.keys(snapshot.endpointConfigs)),
    alarms: Object.keys(snapshot.alarms).filter((n) => n.startsWith(`bluegreen-${endpointName}-`)).sort(),
  };
}

/** Blue serves everything again, exactly as before the promotion, nothing of green is left, and the lock is released. */
export async function expectBackOnBlue(world: World, promotion: Pick<Promotion, 'endpointName'>): Promise<void> {
  const { endpointName } = promotion;
  const { model, config } = handMade(endpointName);
  const endpoint = await describeEndpoint(world, endpointName);
  expect(endpoint).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: config });
  expect(variantsOf(endpoint)).toEqual([{ VariantName: 'AllTraffic', CurrentWeight: 1 }]);
  expect(resourcesOf(world, endpointName)).toEqual({ models: [model], endpointConfigs: [config], alarms: [] });
  expect(await lockItem(world, endpointName)).toBeUndefined();
}

/** The hand-made blue of `Seed.blueEndpoint`: what a team deployed before adopting the tool. */
export function handMade(endpointName: string): { model: string; config: string } {
  return { model: `${endpointName}-handmade-model`, config: `${endpointName}-handmade-config` };
}

export type HistoryRow = Record<string, unknown> & { outcome?: string; reason?: string; leftovers?: Array<{ resource: string; reason: string }> | null };

export async function historyRow(world: World, promotion: Pick<Promotion, 'id' | 'endpointName'>): Promise<HistoryRow | undefined> {
  // The sort key holds the promotion's start time, which only the lock step knows: find the row by its id.
  const { Items } = await world.dynamo.send(
    new QueryCommand({
      TableName: world.aws.tableName,
      KeyConditionExpression: 'endpointName = :e AND begins_with(sk, :p)',
      FilterExpression: 'promotionId = :id',
      ExpressionAttributeValues: { ':e': tableKey(promotion.endpointName), ':p': 'PROMOTION#', ':id': promotion.id },
    }),
  );
  const row = Items?.[0] as HistoryRow | undefined;
  if (row) expectSortKey(row, promotion);
  return row;
}

function expectSortKey(row: HistoryRow, promotion: Pick<Promotion, 'id'>): void {
  if (row.sk !== historySk(String(row.startedAt), promotion.id)) throw new Error(`history row sort key ${String(row.sk)} is not PROMOTION#<startedAt>#<id>`);
}

export async function lockItem(world: World, endpointName: string): Promise<Record<string, unknown> | undefined> {
  const out = await world.dynamo.send(new GetCommand({ TableName: world.aws.tableName, Key: { endpointName: tableKey(endpointName), sk: LOCK_SK }, ConsistentRead: true }));
  return out.Item;
}

/** Clients calling the endpoint (no TargetVariant) at a steady pace, counting what they get back. */
export class Traffic {
  readonly outcomes = { ok: 0, modelErrors: 0, other: [] as string[] };
  private running = true;
  private readonly loop: Promise<void>;

  constructor(world: World, endpointName: string, everyMs = 5) {
    this.loop = (async () => {
      while (this.running) {
        try {
          await world.runtime.send(new InvokeEndpointCommand({ EndpointName: endpointName, ContentType: 'application/json', Body: new TextEncoder().encode('{"customer_id": "C-3003"}') }));
          this.outcomes.ok += 1;
        } catch (error) {
          const name = error instanceof Error ? error.name : String(error);
          if (name === 'ModelError') this.outcomes.modelErrors += 1;
          else this.outcomes.other.push(`${name}: ${error instanceof Error ? error.message : ''}`);
        }
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
  }

  async stop(): Promise<Traffic['outcomes']> {
    this.running = false;
    await this.loop;
    return this.outcomes;
  }
}
