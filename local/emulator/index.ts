/**
 * Local Amazon SageMaker + SageMaker Runtime + CloudWatch + Application Auto Scaling + (minimal) S3 emulator.
 *
 * One loopback HTTP server speaks the real wire protocols; point the AWS SDK v3
 * clients at `emulator.url` with AWS_ENDPOINT_URL_SAGEMAKER,
 * AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME, AWS_ENDPOINT_URL_CLOUDWATCH,
 * AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING and AWS_ENDPOINT_URL_S3 (or the clients' `endpoint` option). Requests are validated against AWS's published
 * API models (local/api-shapes.json); behaviour follows the API references.
 */
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type AutoScalingSnapshot, AutoScalingService } from './autoscaling';
import { AsyncInference, type AsyncQueueSnapshot } from './async-inference';
import { CloudWatchService } from './cloudwatch';
import { Faults, type FaultsSnapshot } from './faults';
import { MetricsStore } from './metrics';
import { RuntimeService } from './runtime';
import { S3Service } from './s3';
import { type Hazard, SageMakerService } from './sagemaker';
import { type CallLogEntry, createEmulatorServer } from './server';
import { Timers } from './timers';
import { clone } from './util';

export type { BridgeEvent } from './events';
export type {
  AlarmStateValue,
  FailFleetFault,
  FaultsSnapshot,
  FleetMatcher,
  SetAlarmStateFault,
  SilentRollbackFault,
  SlowFleetFault,
  ThrottleFault,
  VariantErrorsFault,
} from './faults';
export { Faults } from './faults';
export type { Hazard } from './sagemaker';
export type { CallLogEntry } from './server';
export type { AutoScalingOptions, AutoScalingSnapshot } from './autoscaling';
export { AutoScalingService } from './autoscaling';
export { BASELINE_LATENCY_US } from './runtime';
export type { AsyncQueueSnapshot } from './async-inference';
export type { S3Object } from './s3';

export interface EmulatorOptions {
  /** Default 0 = a free port. */
  port?: number;
  /** Real ms an endpoint stays Creating/Updating/Deleting before the next state; default 300. */
  provisioningMs?: number;
  /**
   * Real ms a weights-only UpdateEndpointWeightsAndCapacities stays Updating; default provisioningMs / 10.
   * The API reference gives no duration; weights change without provisioning, so it is modelled as short.
   */
  weightsUpdateMs?: number;
  /** Real ms per instance type for a new fleet or new instances (e.g. GPU types take longer); default provisioningMs. */
  provisioningMsByInstanceType?: Record<string, number>;
  /** Real ms an endpoint stays Deleting (its instances billed until then); default provisioningMs. Undocumented by AWS: a knob. */
  deletionMs?: number;
  /**
   * Real ms one traffic move between fleets takes in a deployment (a guardrails step, a rollback's
   * shift back); default weightsUpdateMs. Undocumented by AWS: a knob.
   */
  trafficShiftMs?: number;
  /** Real ms a serverless variant's first invocation after a (re)deployment waits (cold start); default weightsUpdateMs. */
  serverlessColdStartMs?: number;
  /** Simulated seconds per real second for metric/alarm periods; default 1 (60: a 60 s Period spans 1 real second). */
  timeScale?: number;
  /** How often Application Auto Scaling evaluates target-tracking policies (real ms); default alarmEvaluationMs. */
  scalingEvaluationMs?: number;
  /** How often alarms are evaluated (real ms); default 100. */
  alarmEvaluationMs?: number;
  /** Real ms an async inference request takes on the model (InvokeEndpointAsync); default 20. */
  asyncProcessingMs?: number;
  /**
   * Async inference: MaxConcurrentInvocationsPerInstance when the endpoint config leaves it out
   * (AWS: "SageMaker chooses an optimal value"); default 4.
   */
  asyncMaxConcurrentInvocationsPerInstance?: number;
  /** Default '111122223333'. */
  accountId?: string;
  /** Default process.env.AWS_REGION ?? 'us-east-1'. */
  region?: string;
}

type Obj = Record<string, unknown>;

export interface ProductionVariantSnapshot extends Obj {
  VariantName: string;
  CurrentWeight: number;
  DesiredWeight: number;
  CurrentInstanceCount?: number;
  DesiredInstanceCount?: number;
}
export interface EndpointSnapshot extends Obj {
  EndpointName: string;
  EndpointArn: string;
  EndpointConfigName: string;
  EndpointStatus: string;
  FailureReason?: string;
  ProductionVariants?: ProductionVariantSnapshot[];
}
export interface AlarmSnapshot extends Obj {
  AlarmName: string;
  AlarmArn: string;
  StateValue: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  StateReason: string;
}
export interface InvocationCounts {
  total: number;
  '2xx': number;
  '4xx': number;
  '5xx': number;
}
/** Read-only deep copy of the emulator's state; timestamps are epoch seconds as on the wire. */
export interface EmulatorSnapshot {
  /** By model name (Describe* output shapes, plus Tags). */
  models: Record<string, Obj>;
  endpointConfigs: Record<string, Obj>;
  endpoints: Record<string, EndpointSnapshot>;
  modelPackageGroups: Record<string, Obj>;
  /** By model package ARN. */
  modelPackages: Record<string, Obj>;
  /** By inference component name (DescribeInferenceComponent output shape, plus Tags). */
  inferenceComponents: Record<string, Obj>;
  /** By alarm name (DescribeAlarms MetricAlarms shape, plus Tags). */
  alarms: Record<string, AlarmSnapshot>;
  /** Invocation counts per endpoint, then per variant, by the model's status class. */
  invocations: Record<string, Record<string, InvocationCounts>>;
  faults: FaultsSnapshot;
  /** Application Auto Scaling: scalable targets and scaling policies (Describe* output shapes). */
  autoscaling: AutoScalingSnapshot;
  /** The local S3: keys per bucket (no bodies). */
  s3: Record<string, string[]>;
  /** Async inference queues per endpoint name. */
  asyncInference: Record<string, AsyncQueueSnapshot>;
}

export interface FleetMeterView {
  id: string;
  endpointConfigName: string;
  status: 'Provisioning' | 'InService' | 'Terminated' | 'Failed';
  launchedAt: number;
  readyAt?: number;
  terminatedAt?: number;
  trafficShare: number;
  variants: Array<{ variantName: string; instanceType?: string; instances: number; serverless: boolean; modelName?: string; modelPackageVersion?: number }>;
  invocations: number;
  targetedInvocations: number;
  preTrafficInvocations: number;
}
export interface EndpointMeterView {
  provisioningCycles: number;
  /** Simulated instance-seconds per instance type. */
  instanceSeconds: Record<string, number>;
  /** Serverless provisioned concurrency: simulated unit-seconds per memory size (`3072MB`), from each fleet's launch to its termination. */
  provisionedConcurrencySeconds: Record<string, number>;
  fleets: FleetMeterView[];
}
export interface EmulatorMeter {
  endpoints: Record<string, EndpointMeterView>;
}

export interface Emulator {
  /** e.g. http://127.0.0.1:PORT — the same URL serves all three services. */
  url: string;
  close(): Promise<void>;
  /** Fault injection; the same functions are served at POST /_emulator/faults/<name>. */
  faults: Faults;
  /** Emits 'event' with EventBridge-shaped events (alarm and model package state changes). */
  events: EventEmitter;
  inspect(): EmulatorSnapshot;
  /** Per endpoint: provisioning cycles, instance-seconds per instance type (simulated), fleets; also `GET /_emulator/meter`. */
  meter(): EmulatorMeter;
  /**
   * Every DeleteEndpointConfig or DeleteModel of a resource an endpoint was using at that moment,
   * in order; also `GET /_emulator/hazards`. SageMaker accepts such a deletion (the API reference
   * only says you must not make it), so the emulator does too and records it here for tests.
   */
  hazards(): Hazard[];
  /** Every request received, in order. */
  callLog: CallLogEntry[];
  /** The local S3 (also served over HTTP, path-style: AWS_ENDPOINT_URL_S3 = url). */
  s3: LocalS3;
}

/** The local S3's in-process API, for tests and seeding. */
export type LocalS3 = Pick<S3Service, 'createBucket' | 'hasBucket' | 'putObject' | 'getObject' | 'listKeys'>;

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const accountId = options.accountId ?? '111122223333';
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0)) throw new Error('timeScale must be > 0');
  const events = new EventEmitter();
  events.setMaxListeners(100);
  const timers = new Timers();
  const metrics = new MetricsStore();
  const cloudwatch = new CloudWatchService({ accountId, region, timeScale, events, metrics });
  const faults = new Faults((f) => cloudwatch.setAlarmState(f.alarmName, f.state, f.reason));
  const provisioningMs = options.provisioningMs ?? 300;
  const weightsUpdateMs = options.weightsUpdateMs ?? Math.round(provisioningMs / 10);
  const serverlessColdStartMs = options.serverlessColdStartMs ?? weightsUpdateMs;
  const sagemaker = new SageMakerService({
    accountId,
    region,
    provisioningMs,
    provisioningMsByInstanceType: options.provisioningMsByInstanceType,
    deletionMs: options.deletionMs,
    weightsUpdateMs,
    trafficShiftMs: options.trafficShiftMs ?? weightsUpdateMs,
    serverlessColdStartMs,
    timeScale,
    faults,
    events,
    timers,
    alarms: {
      state: (name) => {
        const a = cloudwatch.alarms.get(name);
        return a ? { value: a.state.value, reason: a.state.reason } : undefined;
      },
    },
  });
  const runtime = new RuntimeService({
    accountId,
    region,
    faults,
    sagemaker,
    metrics,
    serverlessColdStartMs,
    serverlessColdStartSeconds: (serverlessColdStartMs / 1000) * timeScale,
  });
  const autoscaling = new AutoScalingService({
    accountId,
    region,
    timeScale,
    metrics,
    endpoints: sagemaker.scalableEndpoints(),
    timers,
    evaluationMs: options.scalingEvaluationMs ?? options.alarmEvaluationMs ?? 100,
  });
  sagemaker.setScalingRegistry(autoscaling);
  const s3 = new S3Service({ region });
  const asyncInference = new AsyncInference({
    accountId,
    region,
    sagemaker,
    faults,
    metrics,
    s3,
    timers,
    timeScale,
    processingMs: options.asyncProcessingMs ?? 20,
    defaultMaxConcurrentInvocationsPerInstance: options.asyncMaxConcurrentInvocationsPerInstance ?? 4,
    tickMs: 20,
  });
  const callLog: CallLogEntry[] = [];

  const inspect = (): EmulatorSnapshot =>
    clone({
      ...sagemaker.snapshot(),
      alarms: cloudwatch.snapshot(),
      invocations: metrics.counts(),
      faults: faults.snapshot(),
      autoscaling: autoscaling.snapshot(),
      s3: s3.snapshot(),
      asyncInference: asyncInference.snapshot(),
    }) as EmulatorSnapshot;

  const server = createEmulatorServer({ sagemaker, runtime, cloudwatch, autoscaling, faults, callLog, state: inspect, s3, asyncInference });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const evalTimer = timers.every(options.alarmEvaluationMs ?? 100, () => cloudwatch.evaluateAll());
  evalTimer.unref();
  const { port } = server.address() as AddressInfo;

  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    faults,
    events,
    callLog,
    inspect,
    meter: () => sagemaker.meter() as unknown as EmulatorMeter,
    hazards: () => sagemaker.hazards(),
    s3,
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
