/**
 * What differs between the kinds of endpoint in `npm run demo -- --kind <kind>` (local/demo.ts tells
 * the story once): how blue is deployed by hand, which `bluegreen promote` options the kind needs, how
 * a client sends a request, and the words that say how green is validated and how a rollback goes.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { InvokeEndpointAsyncCommand, InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { EndpointKind } from '../lambdas/shared/kinds';
import { ASYNC_SEED, type Seed } from './seed';

/** The `--kind` values, in the order the usage lists them. */
export const DEMO_KINDS = ['serverless', 'async', 'component', 'multi-variant'] as const;
export type DemoKind = (typeof DEMO_KINDS)[number];

export const isDemoKind = (value: string): value is DemoKind => (DEMO_KINDS as readonly string[]).includes(value);

/** What one client request came to: answered, green's injected HTTP 500, or another failure (its message). */
export type Outcome = 'answered' | 'injected500' | string;

export interface Clients {
  runtime: SageMakerRuntimeClient;
  s3: S3Client;
}

export interface KindStory {
  kind: EndpointKind;
  /** Blue as the team deployed it by hand. */
  blue: string;
  deploy(seed: Seed, endpointName: string, v1: string): Promise<void>;
  /** The `bluegreen promote` (and `plan`) options this kind needs beyond the model package. */
  options: string[];
  /** How green is checked before it gets traffic. */
  validation: string;
  /** How the switch and the rollback go. */
  switch: string;
  rollback: string;
  /** One request of steady client traffic, numbered `n`. */
  request(clients: Clients, endpointName: string, n: number): Promise<Outcome>;
  /** Asynchronous: the failure objects the customers' requests left in S3 (green's errors land there, not in the call), read with the local S3's key listing. */
  failuresIn?(listKeys: (bucket: string, prefix: string) => string[], endpointName: string): number;
  /** One request, answered: which variant and model package version answered it. */
  answer(clients: Clients, endpointName: string, n: number): Promise<Answer>;
}

/** Who answered a request, as the local model's answer says. */
export interface Answer {
  variant: string;
  modelPackageVersion: number;
}

const BODY = '{"customer_id":"C-42","tenure_months":3}';

/** A synchronous InvokeEndpoint (on a component, naming it). */
async function invoke(clients: Clients, endpointName: string, inferenceComponentName?: string): Promise<Outcome> {
  try {
    await clients.runtime.send(new InvokeEndpointCommand({ EndpointName: endpointName, InferenceComponentName: inferenceComponentName, ContentType: 'application/json', Body: new TextEncoder().encode(BODY) }));
    return 'answered';
  } catch (error) {
    const e = error as Error & { OriginalStatusCode?: number };
    return e.name === 'ModelError' && e.OriginalStatusCode === 500 ? 'injected500' : `${e.name}: ${e.message}`;
  }
}

/** A synchronous request's answer. */
async function answered(clients: Clients, endpointName: string, inferenceComponentName?: string): Promise<Answer> {
  const out = await clients.runtime.send(new InvokeEndpointCommand({ EndpointName: endpointName, InferenceComponentName: inferenceComponentName, ContentType: 'application/json', Body: new TextEncoder().encode(BODY) }));
  return JSON.parse(new TextDecoder().decode(out.Body)) as Answer;
}

/** The component Seed.componentEndpoint deploys on an endpoint. */
export const componentOf = (endpointName: string) => `${endpointName}-handmade-ic`;

/** An asynchronous request: the input uploaded to S3, then queued with InvokeEndpointAsync (its answer lands in S3 later). */
async function queue(clients: Clients, endpointName: string, n: number): Promise<Outcome> {
  const key = `${endpointName}/customer-inputs/${n}.json`;
  try {
    await clients.s3.send(new PutObjectCommand({ Bucket: ASYNC_SEED.bucket, Key: key, Body: BODY, ContentType: 'application/json' }));
    await clients.runtime.send(new InvokeEndpointAsyncCommand({ EndpointName: endpointName, ContentType: 'application/json', InputLocation: `s3://${ASYNC_SEED.bucket}/${key}` }));
    return 'answered';
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

/** An asynchronous request's answer, read from its output location once it is there (SageMaker writes it when the request is processed). */
async function answeredLater(clients: Clients, endpointName: string, n: number): Promise<Answer> {
  const key = `${endpointName}/customer-inputs/answer-${n}.json`;
  await clients.s3.send(new PutObjectCommand({ Bucket: ASYNC_SEED.bucket, Key: key, Body: BODY, ContentType: 'application/json' }));
  const out = await clients.runtime.send(new InvokeEndpointAsyncCommand({ EndpointName: endpointName, ContentType: 'application/json', InputLocation: `s3://${ASYNC_SEED.bucket}/${key}` }));
  const [, Bucket, Key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(out.OutputLocation ?? '') ?? [];
  for (let i = 0; i < 500; i++) {
    try {
      const body = await (await clients.s3.send(new GetObjectCommand({ Bucket, Key }))).Body?.transformToString();
      return JSON.parse(body ?? '{}') as Answer;
    } catch (error) {
      if ((error as Error).name !== 'NoSuchKey') throw error;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  throw new Error(`no answer at ${out.OutputLocation} after 5 s`);
}

/** The A/B test of the multi-variant story: v2 and v3 go to ModelB; ModelA keeps v1. */
export const AB_TEST = [
  { name: 'ModelA', weight: 0.7, instances: 2 },
  { name: 'ModelB', weight: 0.3, instances: 1 },
];

export const KIND_STORIES: Record<DemoKind, KindStory> = {
  serverless: {
    kind: 'serverless',
    blue: 'a serverless endpoint (3 GB, max concurrency 8, 2 provisioned)',
    deploy: (seed, endpointName, v1) => seed.serverlessBlueEndpoint(endpointName, v1, { memorySizeInMB: 3072, maxConcurrency: 8, provisionedConcurrency: 2 }),
    options: [],
    validation: 'on a short-lived serverless validation endpoint',
    switch: 'one UpdateEndpoint without DeploymentConfig (deployment guardrails do not apply to serverless), the whole bake watched by the workflow',
    rollback: "an UpdateEndpoint back to blue's config (a new container: a cold start)",
    request: (clients, endpointName) => invoke(clients, endpointName),
    answer: (clients, endpointName) => answered(clients, endpointName),
  },
  async: {
    kind: 'asynchronous',
    blue: `an asynchronous endpoint (1 × ml.m5.large, answers in s3://${ASYNC_SEED.bucket}/<endpoint>/out)`,
    deploy: async (seed, endpointName, v1) => void (await seed.asyncBlueEndpoint(endpointName, v1)),
    options: [],
    validation: 'with InvokeEndpointAsync on a short-lived validation endpoint, its answers read from S3',
    switch: 'one UpdateEndpoint with deployment guardrails (SageMaker blue/green)',
    rollback: "SageMaker's auto-rollback on green's InvocationFailures alarm, or the workflow's",
    request: (clients, endpointName, n) => queue(clients, endpointName, n),
    answer: (clients, endpointName, n) => answeredLater(clients, endpointName, n),
    // The workflow's own validation objects are under bluegreen-validation/ and deleted once read.
    failuresIn: (listKeys, endpointName) => listKeys(ASYNC_SEED.bucket, `${endpointName}/failures/`).filter((k) => !k.includes('/bluegreen-validation/')).length,
  },
  component: {
    kind: 'inference-component',
    blue: 'an inference component of 4 copies on 2 × ml.g5.12xlarge',
    deploy: async (seed, endpointName, v1) => void (await seed.componentEndpoint(endpointName, v1, 4, { componentName: componentOf(endpointName) })),
    options: [],
    validation: 'on a short-lived validation component (one copy) of the same endpoint',
    switch: 'one UpdateInferenceComponent rolling 2 copies at a time under the guardrail alarms (no new fleet: copies run on the endpoint\'s instances)',
    rollback: "an UpdateInferenceComponent back to blue's specification",
    request: (clients, endpointName) => invoke(clients, endpointName, componentOf(endpointName)),
    answer: (clients, endpointName) => answered(clients, endpointName, componentOf(endpointName)),
  },
  'multi-variant': {
    kind: 'multi-variant',
    blue: `an A/B test: ${AB_TEST.map((v) => `${v.name} ${v.weight * 100} % on ${v.instances} × ml.m5.large`).join(', ')}`,
    deploy: (seed, endpointName, v1) => seed.multiVariantEndpoint(endpointName, v1, AB_TEST),
    options: ['--variant', 'ModelB'],
    validation: "ModelB's green alone, on a short-lived validation endpoint",
    switch: "one UpdateEndpoint with deployment guardrails changing ModelB's model only (ModelA keeps v1, both keep their weights)",
    rollback: "SageMaker's auto-rollback on ModelB's 5xx alarm, or the workflow's",
    request: (clients, endpointName) => invoke(clients, endpointName),
    answer: (clients, endpointName) => answered(clients, endpointName),
  },
};
