/**
 * Fleets: the instances one endpoint config runs on, and the meter that counts what they cost.
 *
 * "Deploys the EndpointConfig specified in the request to a new fleet of instances. SageMaker
 * shifts endpoint traffic to the new instances with the updated endpoint configuration and then
 * deletes the old instances using the previous EndpointConfig (there is no availability loss)."
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html)
 * So every CreateEndpoint/UpdateEndpoint launches a whole fleet, for every variant in the config,
 * unchanged ones included; UpdateEndpointWeightsAndCapacities changes the current fleet.
 *
 * The meter, per endpoint name (kept after the endpoint is deleted, so a short-lived endpoint's
 * cost stays visible): provisioning cycles (fleets launched, plus a rolling rollback's re-launch),
 * instance-seconds per instance type in simulated time, and which fleet served each invocation.
 * Assumption (the pricing page bills "per second" of instance usage without saying whether
 * provisioning counts): an instance is metered from launch, provisioning included, to termination.
 * Exception, documented: "For blue/green deployments that involve multiple stage traffic shifting
 * or baking periods, you are billed for both the fleets for the duration of the update,
 * irrespective of the traffic to the fleet. This is in contrast to blue/green deployments with all
 * at once traffic shifting and no baking periods, where you are only billed for one fleet during
 * the course of the update." (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-blue-green.html)
 * So in an all-at-once update without baking (an UpdateEndpoint without DeploymentConfig, the
 * guardrails fallbacks, ALL_AT_ONCE with TerminationWaitInSeconds 0) the new fleet is billed only
 * from the switch, and the old one only up to it (deployments.ts `billsOneFleet`); canary, linear,
 * rolling and baked updates bill both fleets while both are up.
 * Serverless variants launch no instances; their provisioned concurrency is metered instead, in
 * simulated unit-seconds per memory size: "You also pay for Provisioned Concurrency usage, based on
 * the memory configured, duration provisioned, and the amount of concurrency enabled"
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html). As for instances
 * (nothing says otherwise), a fleet's provisioned concurrency counts from its launch to its termination.
 */
import { clone, epochSeconds } from '../util';
import type { Obj, SageMakerContext } from './context';

/** A production variant as it runs on one fleet. */
export interface VariantState {
  VariantName: string;
  /** Undefined on an endpoint that hosts inference components. */
  modelName?: string;
  modelPackageArn?: string;
  modelPackageVersion?: number;
  image: string;
  instanceType?: string;
  CurrentWeight: number;
  DesiredWeight: number;
  CurrentInstanceCount?: number;
  DesiredInstanceCount?: number;
  serverless?: Obj;
  deployedAt: number;
  /** A serverless variant's next invocation waits for a container (cold start). */
  cold?: boolean;
  /** Instances launched and billed now (≥ CurrentInstanceCount while new ones provision). */
  billed: number;
  /** Instances ManagedInstanceScaling added to place inference component copies (placement.ts). */
  managedInstances?: number;
  /** A serverless variant's provisioned concurrency units, billed now (0 once its fleet is terminated). */
  provisioned?: number;
  meteredSince: number;
}

export type FleetStatus = 'Provisioning' | 'InService' | 'Terminated' | 'Failed';

export interface Fleet {
  id: string;
  endpointName: string;
  configName: string;
  /** The endpoint config as the fleet was deployed with it (a DeleteEndpointConfig does not change what runs). */
  config: Obj;
  variants: VariantState[];
  status: FleetStatus;
  launchedAt: number;
  readyAt?: number;
  terminatedAt?: number;
  /** Share of the endpoint's untargeted traffic this fleet receives, 0..1. */
  share: number;
  /** Smooth weighted round-robin state per variant. */
  rr: Map<string, number>;
  invocations: number;
  /** Invocations that named a variant (TargetVariant), e.g. validation samples. */
  targetedInvocations: number;
  /** Invocations received before the fleet had any share of untargeted traffic. */
  preTrafficInvocations: number;
}

export interface EndpointMeter {
  provisioningCycles: number;
  instanceSeconds: Record<string, number>;
  /** Serverless provisioned concurrency, simulated unit-seconds per memory size (`3072MB`). */
  provisionedConcurrencySeconds: Record<string, number>;
  fleets: Fleet[];
}

export class FleetMeter {
  private readonly meters = new Map<string, EndpointMeter>();
  private seq = 0;

  constructor(private readonly c: SageMakerContext) {}

  private meterOf(endpointName: string): EndpointMeter {
    const key = endpointName.toLowerCase();
    let m = this.meters.get(key);
    if (!m) {
      m = { provisioningCycles: 0, instanceSeconds: {}, provisionedConcurrencySeconds: {}, fleets: [] };
      this.meters.set(key, m);
    }
    return m;
  }

  /** Launches a fleet: a provisioning cycle, its instances metered from now. */
  launch(endpointName: string, config: { name: string; input: Obj }, variants: VariantState[], cycle = true): Fleet {
    const now = Date.now();
    for (const v of variants) {
      v.billed = v.serverless ? 0 : (v.DesiredInstanceCount ?? 0);
      v.provisioned = Number(v.serverless?.ProvisionedConcurrency ?? 0);
      v.meteredSince = now;
    }
    const fleet: Fleet = {
      id: `fleet-${++this.seq}`,
      endpointName,
      configName: config.name,
      config: clone(config.input),
      variants,
      status: 'Provisioning',
      launchedAt: now,
      share: 0,
      rr: new Map(),
      invocations: 0,
      targetedInvocations: 0,
      preTrafficInvocations: 0,
    };
    const m = this.meterOf(endpointName);
    if (cycle) m.provisioningCycles += 1;
    m.fleets.push(fleet);
    return fleet;
  }

  /** A further provisioning cycle on the endpoint (e.g. a rolling rollback re-launching old instances). */
  countCycle(endpointName: string): void {
    this.meterOf(endpointName).provisioningCycles += 1;
  }

  /** Adds the instance-seconds accrued since the last change, before a count changes. */
  accrue(fleet: Fleet, now = Date.now()): void {
    const m = this.meterOf(fleet.endpointName);
    for (const v of fleet.variants) {
      if (v.billed > 0) {
        const type = v.instanceType ?? 'unknown';
        m.instanceSeconds[type] = (m.instanceSeconds[type] ?? 0) + v.billed * this.c.simSeconds(now - v.meteredSince);
      }
      if (v.provisioned) {
        const memory = `${String(v.serverless?.MemorySizeInMB)}MB`;
        m.provisionedConcurrencySeconds[memory] = (m.provisionedConcurrencySeconds[memory] ?? 0) + v.provisioned * this.c.simSeconds(now - v.meteredSince);
      }
      v.meteredSince = now;
    }
  }

  /** Sets how many instances of a variant are launched (billed) from now on. */
  setBilled(fleet: Fleet, variant: VariantState, instances: number): void {
    this.accrue(fleet);
    variant.billed = instances;
  }

  terminate(fleet: Fleet): void {
    if (fleet.status === 'Terminated') return;
    this.accrue(fleet);
    for (const v of fleet.variants) {
      v.billed = 0;
      v.provisioned = 0;
    }
    fleet.status = fleet.status === 'Failed' ? 'Failed' : 'Terminated';
    fleet.share = 0;
    fleet.terminatedAt = Date.now();
  }

  /** The `GET /_emulator/meter` document; live fleets are accrued up to now. */
  view(): { endpoints: Record<string, Obj> } {
    const endpoints: Record<string, Obj> = {};
    for (const m of this.meters.values()) {
      for (const f of m.fleets) if (f.terminatedAt === undefined) this.accrue(f);
      const name = m.fleets[m.fleets.length - 1]?.endpointName ?? '';
      endpoints[name] = {
        provisioningCycles: m.provisioningCycles,
        instanceSeconds: Object.fromEntries(Object.entries(m.instanceSeconds).map(([k, v]) => [k, Math.round(v * 1000) / 1000])),
        provisionedConcurrencySeconds: Object.fromEntries(Object.entries(m.provisionedConcurrencySeconds).map(([k, v]) => [k, Math.round(v * 1000) / 1000])),
        fleets: m.fleets.map((f) => ({
          id: f.id,
          endpointConfigName: f.configName,
          status: f.status,
          launchedAt: epochSeconds(f.launchedAt),
          readyAt: f.readyAt === undefined ? undefined : epochSeconds(f.readyAt),
          terminatedAt: f.terminatedAt === undefined ? undefined : epochSeconds(f.terminatedAt),
          trafficShare: f.share,
          variants: f.variants.map((v) => ({
            variantName: v.VariantName,
            instanceType: v.instanceType,
            instances: v.billed,
            serverless: v.serverless !== undefined,
            modelName: v.modelName,
            modelPackageVersion: v.modelPackageVersion,
          })),
          invocations: f.invocations,
          targetedInvocations: f.targetedInvocations,
          preTrafficInvocations: f.preTrafficInvocations,
        })),
      };
    }
    return { endpoints };
  }
}
