import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateInferenceComponentCommand,
  CreateModelCommand,
  DescribeInferenceComponentCommand,
  SageMakerClient,
  waitUntilEndpointInService,
} from '@aws-sdk/client-sagemaker';
import { KIND_STRATEGIES } from '../../lambdas/shared/kinds';
import { greenNames } from '../../lambdas/shared/naming';
import { startLocalAws, type LocalAws } from '../../local/aws';
import { MODEL_ROLE, Seed } from '../../local/seed';
import type { PromotionPlan } from '../../cli/commands/plan';
import { bluegreen, cliEnv, parseJson, sleep } from './helpers';

/**
 * `bluegreen plan` on every kind of endpoint (issue 10), against one local AWS: the kind, the strategy
 * the kind takes and why (lambdas/shared/kinds.ts), the target, what the strategy provisions and what
 * the plan cannot price; and the refusals the workflow's first state would answer, before any call
 * that changes anything.
 */
let aws: LocalAws;
let env: Record<string, string>;
let v2: string;
const SERVERLESS = 'kind-serverless';
const ASYNC = 'kind-async';
const AB = 'kind-ab';
const IC = 'kind-ic';

/** An inference-component endpoint made by hand: a variant with no model (instances only), then its components. */
async function componentEndpoint(sagemaker: SageMakerClient, modelPackageArn: string, components: Array<{ name: string; copies: number }>): Promise<void> {
  await sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: `${IC}-handmade-config`,
      ExecutionRoleArn: MODEL_ROLE,
      ProductionVariants: [{ VariantName: 'AllTraffic', InstanceType: 'ml.g5.12xlarge', InitialInstanceCount: 2 }],
    }),
  );
  await sagemaker.send(new CreateEndpointCommand({ EndpointName: IC, EndpointConfigName: `${IC}-handmade-config` }));
  await waitUntilEndpointInService({ client: sagemaker, maxWaitTime: 120, minDelay: 0.05, maxDelay: 0.2 } as never, { EndpointName: IC });
  for (const c of components) {
    const model = `${IC}-${c.name}-model`;
    await sagemaker.send(new CreateModelCommand({ ModelName: model, ExecutionRoleArn: MODEL_ROLE, PrimaryContainer: { ModelPackageName: modelPackageArn } }));
    await sagemaker.send(
      new CreateInferenceComponentCommand({
        InferenceComponentName: c.name,
        EndpointName: IC,
        VariantName: 'AllTraffic',
        Specification: { ModelName: model, ComputeResourceRequirements: { NumberOfCpuCoresRequired: 1, MinMemoryRequiredInMb: 1024 } },
        RuntimeConfig: { CopyCount: c.copies },
      }),
    );
  }
  for (let i = 0; i < 2000; i++) {
    const statuses = await Promise.all(components.map(async (c) => (await sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: c.name }))).InferenceComponentStatus));
    if (statuses.every((s) => s === 'InService')) return;
    await sleep(20);
  }
  throw new Error('the components never reached InService');
}

beforeAll(async () => {
  aws = await startLocalAws({ provisioningSeconds: 60 });
  env = cliEnv(aws);
  const seed = new Seed();
  // A group no route of the stack names: approving a version starts nothing.
  await seed.group('kinds-models');
  const v1 = await seed.register('kinds-models');
  v2 = await seed.register('kinds-models');
  await seed.setApproval(v2, 'Approved');
  await seed.serverlessBlueEndpoint(SERVERLESS, v1, { memorySizeInMB: 2048, maxConcurrency: 5, provisionedConcurrency: 2 });
  await seed.asyncBlueEndpoint(ASYNC, v1, 2);
  await seed.multiVariantEndpoint(AB, v1, [
    { name: 'champion', weight: 0.9, instances: 2 },
    { name: 'challenger', weight: 0.1, instances: 1 },
  ]);
  await componentEndpoint(seed.sagemaker, v1, [
    { name: 'chat', copies: 4 },
    { name: 'embed', copies: 1 },
  ]);
}, 120_000);
afterAll(async () => aws?.close());

const samples = (): string => {
  const file = join(tmpdir(), `bluegreen-plan-kinds-samples-${process.pid}.json`);
  writeFileSync(file, JSON.stringify({ samples: [{ name: 'typical', body: '{"tenure": 3}' }] }));
  return file;
};

/** Runs plan; checks it only read (Describe/List) and started nothing. */
async function plan(...args: string[]) {
  const from = aws.emulator.callLog.length;
  const executions = aws.stepFunctions.list().length;
  const run = await bluegreen(env, 'plan', ...args);
  const calls = aws.emulator.callLog.slice(from).map((c) => c.operation);
  expect(calls.filter((op) => !/^(Describe|List)/.test(op))).toEqual([]);
  expect(aws.stepFunctions.list()).toHaveLength(executions);
  return run;
}

async function planJson(...args: string[]) {
  const run = await plan(...args, '--json');
  return { run, result: parseJson<PromotionPlan>(run) };
}

describe('serverless: replace', () => {
  test('GIVEN a serverless endpoint and no --strategy THEN kind serverless, strategy replace and why, one UpdateEndpoint without guardrails, a rollback with cold starts, and no invented cost', async () => {
    const run = await plan(SERVERLESS, '--model-package', v2, '--name', 'r1', '--bake', '30m', '--validation-file', samples());
    expect(run.code).toBe(0);
    const names = greenNames(SERVERLESS, 2, 'r1');
    expect(run.stdout).toContain('  variant AllTraffic: weight 1, serverless 2048 MB, max concurrency 5, provisioned concurrency 2, model kind-serverless-handmade-model');
    expect(run.stdout).toContain('Kind: serverless');
    expect(run.stdout).toContain('Strategy: replace (the only one for a serverless endpoint)');
    expect(run.stdout).toContain(`  why: chosen for a serverless endpoint: ${KIND_STRATEGIES.serverless.why}`);
    expect(run.stdout).toContain('Target: variant AllTraffic');
    expect(run.stdout).toContain(`CreateEndpointConfig ${names.validationConfig}: serverless, blue's memory, max concurrency 1, provisioned concurrency 1 (warm, as blue)`);
    expect(run.stdout).toContain(`UpdateEndpoint ${SERVERLESS}: to ${names.greenConfig} with no deployment guardrails (they do not apply to serverless endpoints)`);
    expect(run.stdout).toContain("the workflow watches the alarms through the whole bake (30m00s)");
    expect(run.stdout).toContain("UpdateEndpoint back to kind-serverless-handmade-config, which re-initializes blue's container: users meet cold starts again");
    expect(run.stdout).toContain('Cost the plan cannot price: serverless endpoints are billed per request');
    // No instance arithmetic invented for a serverless endpoint, and no abort alarm: SageMaker watches nothing.
    expect(run.stdout).not.toContain("cost above blue's steady fleet");
    expect(run.stdout).not.toContain('abort');
    expect(run.stdout).toContain('Accepted: the promotion would start.');
  });

  test('--json carries kind, strategy, strategyReason and target; nothing is priced in instance-minutes', async () => {
    const { run, result } = await planJson(SERVERLESS, '--model-package', v2, '--bake', '30m');
    expect(run.code).toBe(0);
    expect(result).toMatchObject({ kind: 'serverless', strategy: 'replace', strategySource: 'kind', target: { variantName: 'AllTraffic' }, billing: 'serverless', extraInstanceMinutes: 0 });
    expect(result.strategyReason).toContain(KIND_STRATEGIES.serverless.why);
    // No samples: no validation endpoint, one container initialization (green's).
    expect(result.provisions.map((p) => p.fleet)).toEqual(['serverless-green']);
    expect(result.costUnknown).toContain('the plan cannot know the traffic');
  });

  test('GIVEN --strategy guardrails THEN refused with chooseStrategy\'s reason and fix, and no step is planned', async () => {
    const { run, result } = await planJson(SERVERLESS, '--model-package', v2, '--strategy', 'guardrails');
    expect(run.code).toBe(2);
    expect(result.refusals).toContain(`--strategy: guardrails does not fit a serverless endpoint (${KIND_STRATEGIES.serverless.why}); use strategy replace, or leave strategy out to have it chosen`);
    expect(result).toMatchObject({ kind: 'serverless', strategy: 'guardrails', accepted: false, create: [], change: [] });
  });

  test('GIVEN --async-output-timeout THEN refused: a serverless endpoint answers synchronously', async () => {
    const run = await plan(SERVERLESS, '--model-package', v2, '--async-output-timeout', '5m');
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('--async-output-timeout: kind-serverless is a serverless endpoint, which answers synchronously; drop it');
  });
});

describe('asynchronous: guardrails', () => {
  test('GIVEN --async-output-timeout 5m THEN validation through InvokeEndpointAsync within 5 min, queued requests kept, the fleets priced as real-time', async () => {
    const { run, result } = await planJson(ASYNC, '--model-package', v2, '--bake', '30m', '--validation-file', samples(), '--async-output-timeout', '5m');
    expect(run.code).toBe(0);
    expect(result).toMatchObject({ kind: 'asynchronous', strategy: 'guardrails', strategySource: 'kind', target: { variantName: 'AllTraffic' }, billing: 'instance-minutes' });
    expect(result.strategyReason).toContain(KIND_STRATEGIES.asynchronous.why);
    const validation = result.change.find((s) => s.resource === result.names.validationEndpoint && s.action === 'InvokeEndpointAsync');
    expect(validation?.detail).toContain('each output (or failure) awaited in S3 up to 5m00s');
    expect(result.strategyLines.join('\n')).toContain('requests queued by InvokeEndpointAsync are kept through the switch');
    // As real-time: a 1-instance validation endpoint and green's 2 instances through the 30-min termination wait.
    expect(result).toMatchObject({ cycles: 2, extraInstanceMinutes: 1 * 8 + 2 * (8 + 30) });
  });
});

describe('multi-variant: guardrails on the named variant', () => {
  test('GIVEN no --variant THEN refused, naming the variants and --variant', async () => {
    const run = await plan(AB, '--model-package', v2);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('Kind: multi-variant');
    expect(run.stdout).toContain('--variant: kind-ab serves 2 production variants (champion, challenger); name the one to promote in --variant (the others keep their models and weights)');
  });

  test('GIVEN an unknown --variant THEN refused, naming the ones there are', async () => {
    const run = await plan(AB, '--model-package', v2, '--variant', 'nobody');
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('--variant: kind-ab has no production variant nobody (it serves champion, challenger); name one of them');
  });

  test('GIVEN --variant challenger THEN only its model changes, and every variant is re-provisioned and counted', async () => {
    const { run, result } = await planJson(AB, '--model-package', v2, '--variant', 'challenger', '--bake', '30m', '--name', 'ab1');
    expect(run.code).toBe(0);
    expect(result).toMatchObject({ kind: 'multi-variant', strategy: 'guardrails', strategySource: 'kind', target: { variantName: 'challenger' } });
    const greenConfig = result.create.find((s) => s.action === 'CreateEndpointConfig' && s.resource === result.names.greenConfig)?.detail;
    expect(greenConfig).toContain("only variant challenger's model changed");
    expect(greenConfig).toContain('variants champion keep their models and weights');
    expect(result.provisions).toEqual([
      expect.objectContaining({ fleet: 'green-fleet', instances: 1 }),
      expect.objectContaining({ fleet: 'other-variant-fleet', instances: 2 }),
    ]);
    // No samples: no validation endpoint; challenger's 1 and champion's 2 instances through provisioning and the termination wait.
    expect(result.extraInstanceMinutes).toBe(3 * (8 + 30));
    // Only the replaced variant's model is cleaned up (hand-made here: kept), never champion's.
    expect(result.keep.map((k) => k.resource)).toContain('model kind-ab-challenger-model');
    expect(JSON.stringify([...result.delete, ...result.keep])).not.toContain('kind-ab-champion-model');
  });

  test('GIVEN --strategy variant THEN refused with the kind\'s reason', async () => {
    const run = await plan(AB, '--model-package', v2, '--variant', 'challenger', '--strategy', 'variant');
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('--strategy: variant does not fit a multi-variant endpoint');
    expect(run.stdout).toContain('use strategy guardrails');
  });
});

describe('inference components: component', () => {
  test('GIVEN two components and no --inference-component THEN refused, naming them and the option', async () => {
    const run = await plan(IC, '--model-package', v2);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('Kind: inference-component');
    // ListInferenceComponents' order is SageMaker's (newest first by default).
    expect(run.stdout).toMatch(/--inference-component: kind-ic hosts 2 inference components \((chat, embed|embed, chat)\); name the one to promote in --inference-component/);
  });

  test('GIVEN --inference-component chat (4 copies) THEN a validation component of one copy, a rolling update of 2 batches, no new fleet, the cost it cannot know', async () => {
    const run = await plan(IC, '--model-package', v2, '--inference-component', 'chat', '--name', 'c1', '--bake', '30m', '--validation-file', samples(), '--batch-wait', '10m');
    expect(run.code).toBe(0);
    const names = greenNames(IC, 2, 'c1');
    expect(run.stdout).toContain('  variant AllTraffic: weight 1, ml.g5.12xlarge ×2, hosts inference components');
    expect(run.stdout).toContain('  inference component chat: 4 copies on variant AllTraffic, model kind-ic-chat-model, InService');
    expect(run.stdout).toContain('Strategy: component (the only one for an inference-component endpoint)');
    expect(run.stdout).toContain('Target: inference component chat (4 copies, on variant AllTraffic)');
    expect(run.stdout).toContain(`CreateInferenceComponent ${names.validationComponent}: one copy of chat's specification with the new model`);
    expect(run.stdout).toContain(`DeleteInferenceComponent ${names.validationComponent}`);
    expect(run.stdout).toContain('rolling update of 4 copies, 2 per batch (2 batches), 600 s baked each');
    expect(run.stdout).toContain("no new fleet: the copies run on the endpoint's instances (ml.g5.12xlarge ×2)");
    expect(run.stdout).toContain("Cost the plan cannot price: copies share the endpoint's instances");
    // blue's component model was made by hand: kept; the endpoint's config is not replaced, so never deleted.
    expect(run.stdout).toContain('model kind-ic-chat-model: not created by sagemaker-bluegreen');
    expect(run.stdout).not.toContain('DeleteEndpointConfig');
  });

  test('--json: kind, strategy, strategyReason and the target component', async () => {
    const { run, result } = await planJson(IC, '--model-package', v2, '--inference-component', 'chat');
    expect(run.code).toBe(0);
    expect(result).toMatchObject({ kind: 'inference-component', strategy: 'component', target: { inferenceComponentName: 'chat', copies: 4, variantName: 'AllTraffic' }, billing: 'shared-instances', extraInstanceMinutes: 0 });
    expect(result.strategyReason).toContain(KIND_STRATEGIES['inference-component'].why);
  });

  test('GIVEN the one-copy component THEN replaced at once, the workflow watching', async () => {
    const run = await plan(IC, '--model-package', v2, '--inference-component', 'embed');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('its one copy replaced at once');
    expect(run.stdout).toContain('1 copy: no whole batch is within SageMaker');
  });

  test('GIVEN --batch-copies 3 of 4 copies THEN refused with the range SageMaker takes', async () => {
    const run = await plan(IC, '--model-package', v2, '--inference-component', 'chat', '--batch-copies', '3');
    expect(run.code).toBe(2);
    expect(run.stdout).toContain("--batch-copies: 3 of chat's 4 copies is outside SageMaker's 5–50% of the copy count (API_InferenceComponentCapacitySize); use 1–2");
  });

  test('GIVEN options the chosen strategy does not read (--traffic, --variant) THEN each is refused, naming the fix', async () => {
    const run = await plan(IC, '--model-package', v2, '--inference-component', 'chat', '--traffic', 'canary', '--variant', 'AllTraffic');
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('--traffic: the component strategy does not read it');
    expect(run.stdout).toContain('drop --traffic, or promote with --strategy guardrails');
    expect(run.stdout).toContain('--variant: kind-ic hosts inference components, which a promotion targets with --inference-component; drop --variant');
  });

  test('GIVEN --inference-component on an endpoint without components THEN refused', async () => {
    const run = await plan(SERVERLESS, '--model-package', v2, '--inference-component', 'chat');
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('--inference-component: the replace strategy does not read it');
  });
});
