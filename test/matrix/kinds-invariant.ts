import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { InvokeEndpointAsyncCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { ASYNC_VALIDATION_PREFIX } from '../../lambdas/shared/async-validation';
import type { GreenNames } from '../../lambdas/shared/naming';
import type { EmulatorSnapshot } from '../../local/emulator';
import { ASYNC_SEED } from '../../local/seed';
import type { BlueKind } from './cells';

/**
 * The invariant's clauses that depend on the endpoint's kind (harness.ts `judge` calls these):
 * what "serving blue" and "serving green fully" mean, which models are in use, which of the
 * promotion's own resources could be left behind, and (asynchronous) that no queued request was
 * lost. The blues are local/seed.ts's, deployed by `KIND_BLUES` below.
 */
export type Side = 'blue' | 'green' | 'neither';
type Obj = Record<string, unknown>;
interface Variant {
  VariantName?: string;
  ModelName?: string;
  CurrentWeight?: number;
}

/** The A/B test a multi-variant cell promotes ModelB of (Seed.multiVariantEndpoint): ModelA must keep its model and both their weights. */
export const AB_VARIANTS = [
  { name: 'ModelA', weight: 0.7, instances: 1 },
  { name: 'ModelB', weight: 0.3, instances: 1 },
] as const;
export const AB_TARGET = 'ModelB';
/** Copies of the hand-made inference component (Seed.componentEndpoint): 2, so a rolling update has 2 batches of 1. */
export const COMPONENT_COPIES = 2;
export const blueComponent = (endpointName: string) => `${endpointName}-handmade-ic`;
const blueModel = (endpointName: string) => `${endpointName}-handmade-model`;
const blueConfig = (endpointName: string) => `${endpointName}-handmade-config`;

/** JSON with object keys sorted: two specifications compare equal whatever order their fields come in. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));
const weights = (variants: Variant[]) => variants.map((v) => `${v.VariantName}@${v.CurrentWeight}`).join(', ');
function configModels(snap: EmulatorSnapshot, configName: string | undefined): Record<string, string | undefined> {
  const variants = ((configName ? snap.endpointConfigs[configName]?.ProductionVariants : undefined) ?? []) as Variant[];
  return Object.fromEntries(variants.map((v) => [v.VariantName, v.ModelName]));
}

/** One variant (real-time, serverless, asynchronous): blue's hand-made config at weight 1, or green's config alone at weight 1. */
function oneVariantSide(endpoint: Obj, name: string, green: GreenNames, greenVariant: string): Side {
  const variants = weights((endpoint.ProductionVariants ?? []) as Variant[]);
  if (endpoint.EndpointConfigName === blueConfig(name) && variants === 'AllTraffic@1') return 'blue';
  if (endpoint.EndpointConfigName === green.greenConfig && variants === `${greenVariant}@1`) return 'green';
  return 'neither';
}

/** Multi-variant: every variant at its weight as before; blue: every hand-made model; green: only the target's replaced by green's. */
function multiVariantSide(snap: EmulatorSnapshot, endpoint: Obj, name: string, green: GreenNames): Side {
  const asBefore = weights(AB_VARIANTS.map((v) => ({ VariantName: v.name, CurrentWeight: v.weight })));
  if (weights((endpoint.ProductionVariants ?? []) as Variant[]) !== asBefore) return 'neither';
  const models = JSON.stringify(configModels(snap, endpoint.EndpointConfigName as string));
  const expected = (target: string) => JSON.stringify(Object.fromEntries(AB_VARIANTS.map((v) => [v.name, v.name === AB_TARGET ? target : `${name}-${v.name}-model`])));
  if (endpoint.EndpointConfigName === blueConfig(name) && models === expected(`${name}-${AB_TARGET}-model`)) return 'blue';
  if (endpoint.EndpointConfigName === green.greenConfig && models === expected(green.model)) return 'green';
  return 'neither';
}

/** The seeded component's specification but its model (Seed.component). */
const COMPONENT_SPEC = { Container: { Environment: { MAX_BATCH: '8' } }, ComputeResourceRequirements: { NumberOfAcceleratorDevicesRequired: 1, MinMemoryRequiredInMb: 1024 } };

/**
 * Inference component: the endpoint untouched (blue's config, AllTraffic@1) and the component
 * InService, all its copies up, with the seeded specification on blue's model or on green's.
 */
function componentSide(snap: EmulatorSnapshot, endpoint: Obj, name: string, green: GreenNames): { side: Side; problems: string[] } {
  const problems: string[] = [];
  if (endpoint.EndpointConfigName !== blueConfig(name)) problems.push(`(a) the endpoint's config changed to ${String(endpoint.EndpointConfigName)}`);
  const c = snap.inferenceComponents[blueComponent(name)] as
    | { InferenceComponentStatus?: string; Specification?: Obj & { ModelName?: string }; RuntimeConfig?: { DesiredCopyCount?: number; CurrentCopyCount?: number } }
    | undefined;
  if (!c) return { side: 'neither', problems: [...problems, `(a) inference component ${blueComponent(name)} no longer exists`] };
  const { ModelName, ...spec } = c.Specification ?? {};
  const copies = `${c.RuntimeConfig?.DesiredCopyCount}/${c.RuntimeConfig?.CurrentCopyCount}`;
  if (c.InferenceComponentStatus !== 'InService') problems.push(`(a) inference component ${blueComponent(name)} is ${c.InferenceComponentStatus}`);
  if (copies !== `${COMPONENT_COPIES}/${COMPONENT_COPIES}`) problems.push(`(a) inference component ${blueComponent(name)} runs ${copies} (desired/current) copies, expected ${COMPONENT_COPIES}`);
  if (canonical(spec) !== canonical(COMPONENT_SPEC)) problems.push(`(a) inference component ${blueComponent(name)}'s specification changed: ${JSON.stringify(spec)}`);
  const side: Side = problems.length > 0 ? 'neither' : ModelName === blueModel(name) ? 'blue' : ModelName === green.model ? 'green' : 'neither';
  if (side === 'neither' && problems.length === 0) problems.push(`(a) inference component ${blueComponent(name)} runs model ${ModelName}, neither blue's nor green's`);
  return { side, problems };
}

/**
 * (a) What the endpoint serves, by kind. `greenVariant`: the variant name green's config gives the
 * promoted variant (variant strategy: green's own; the others keep blue's).
 */
export function sideServed(kind: BlueKind | undefined, snap: EmulatorSnapshot, endpoint: Obj, name: string, green: GreenNames, greenVariant: string): { side: Side; problems: string[] } {
  switch (kind) {
    case 'inference-component':
      return componentSide(snap, endpoint, name, green);
    case 'multi-variant':
      return { side: multiVariantSide(snap, endpoint, name, green), problems: [] };
    default: {
      const side = oneVariantSide(endpoint, name, green, kind === undefined ? greenVariant : 'AllTraffic');
      return { side, problems: [] };
    }
  }
}

/** (d) The models in use: the endpoint config's, and those of the inference components on the endpoint. */
export function modelsInUse(snap: EmulatorSnapshot, name: string, configName: string | undefined): Set<string> {
  const models = new Set(Object.values(configModels(snap, configName)).filter((m): m is string => m !== undefined));
  for (const c of Object.values(snap.inferenceComponents) as Array<{ EndpointName?: string; InferenceComponentStatus?: string; Specification?: { ModelName?: string } }>) {
    if (c.EndpointName === name && c.InferenceComponentStatus !== 'Deleting' && c.Specification?.ModelName) models.add(c.Specification.ModelName);
  }
  return models;
}

/**
 * (d) The promotion's own resources a kind adds: inference components named after the endpoint
 * but blue's (the validation component), and objects under the endpoint's `bluegreen-validation/`
 * prefixes of the async bucket (validation inputs and answers, which the workflow deletes once read).
 */
export function kindLeftovers(snap: EmulatorSnapshot, name: string): string[] {
  const components = Object.keys(snap.inferenceComponents)
    .filter((c) => c.startsWith(`${name}-`) && c !== blueComponent(name))
    .map((c) => `component ${c}`);
  const objects = (snap.s3[ASYNC_SEED.bucket] ?? []).filter((k) => k.startsWith(`${name}/`) && k.includes(`/${ASYNC_VALIDATION_PREFIX}/`)).map((k) => `object s3://${ASYNC_SEED.bucket}/${k}`);
  return [...components, ...objects];
}

/** A history row's leftover as the kind and name the invariant lists ("inference component x" is a component). */
export const leftoverResource = (resource: string) => resource.replace(/^inference component /, 'component ');

/**
 * Customers queueing InvokeEndpointAsync requests on the promoted endpoint while a cell runs (their
 * inputs under `customers/`, outside the endpoint's `<endpoint>/` prefix that the cell's S3 faults
 * hit). `lost()`: the requests SageMaker accepted whose output never appeared (or that failed).
 */
export class CustomerQueue {
  private readonly accepted: Array<{ output: string; failure?: string }> = [];
  private readonly runtime = new SageMakerRuntimeClient({});
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly s3: S3Client,
    endpointName: string,
    everyMs = 40,
  ) {
    this.loop = (async () => {
      for (let n = 0; this.running; n++) {
        const key = `customers/${endpointName}/${n}.json`;
        try {
          await s3.send(new PutObjectCommand({ Bucket: ASYNC_SEED.bucket, Key: key, Body: `{"customer_id": "C-${n}"}`, ContentType: 'application/json' }));
          const out = await this.runtime.send(
            new InvokeEndpointAsyncCommand({ EndpointName: endpointName, ContentType: 'application/json', InputLocation: `s3://${ASYNC_SEED.bucket}/${key}` }),
          );
          this.accepted.push({ output: out.OutputLocation!, failure: out.FailureLocation });
        } catch {
          // Refused (the endpoint Updating refuses nothing on AWS, but a refusal is not a loss): the customer knows.
        }
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
  }

  async stop(): Promise<number> {
    this.running = false;
    await this.loop;
    this.runtime.destroy();
    return this.accepted.length;
  }

  /** Waits (real time) for every accepted request's output; returns the problems: none accepted, lost or failed requests. */
  async problems(timeoutMs = 15_000): Promise<string[]> {
    if (this.accepted.length === 0) return ['(a) the customers\' queue sent no request: it proves nothing'];
    const deadline = Date.now() + timeoutMs;
    let pending = [...this.accepted];
    const failed: string[] = [];
    while (pending.length > 0 && Date.now() < deadline) {
      const next: typeof pending = [];
      for (const r of pending) {
        if (await this.exists(r.output)) continue;
        if (r.failure && (await this.exists(r.failure))) failed.push(r.failure);
        else next.push(r);
      }
      pending = next;
      if (pending.length > 0) await new Promise((r) => setTimeout(r, 100));
    }
    return [
      ...(pending.length > 0 ? [`(a) ${pending.length} of ${this.accepted.length} queued requests lost (no output, no failure), e.g. ${pending[0]!.output}`] : []),
      ...(failed.length > 0 ? [`(a) ${failed.length} of ${this.accepted.length} queued requests failed, e.g. ${failed[0]}`] : []),
    ];
  }

  private async exists(uri: string): Promise<boolean> {
    const [, Bucket, Key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri) ?? [];
    try {
      await this.s3.send(new GetObjectCommand({ Bucket, Key }));
      return true;
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey') return false;
      throw error;
    }
  }
}
