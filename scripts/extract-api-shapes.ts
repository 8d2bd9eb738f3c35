/**
 * Extracts the operations the local emulator serves, and the shapes they use,
 * from botocore's published AWS API models into `local/api-shapes.json`.
 *
 * The JSON file is the committed artifact: a fresh clone never needs Python.
 * Run by hand when the operation list changes or to refresh from a newer botocore:
 *
 *   npx tsx scripts/extract-api-shapes.ts [path/to/botocore/data]
 *
 * Without an argument, the botocore data folder is found with
 * `python3 -c "import botocore,os;print(os.path.dirname(botocore.__file__))"`.
 *
 * Input shapes are kept in full (required, min/max, pattern, enum, list and map
 * members, header/uri locations) because the emulator validates requests with
 * them. Output shapes are kept shallow: member names and target shape names only.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';

interface BotoMember {
  shape: string;
  location?: string;
  locationName?: string;
  [k: string]: unknown;
}
interface BotoShape {
  type: string;
  required?: string[];
  members?: Record<string, BotoMember>;
  member?: BotoMember;
  key?: BotoMember;
  value?: BotoMember;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  exception?: boolean;
  error?: Record<string, unknown>;
  payload?: string;
  [k: string]: unknown;
}
interface BotoOperation {
  name: string;
  http?: { method?: string; requestUri?: string; responseCode?: number };
  input?: { shape: string };
  output?: { shape: string };
  errors?: Array<{ shape: string }>;
}
interface BotoModel {
  metadata: Record<string, unknown>;
  operations: Record<string, BotoOperation>;
  shapes: Record<string, BotoShape>;
}

/** The operations served by local/emulator, per botocore service folder. */
export const OPERATIONS: Record<string, { dir: string; key: string; operations: string[] }> = {
  sagemaker: {
    dir: 'sagemaker/2017-07-24',
    key: 'sagemaker',
    operations: [
      'CreateModel', 'DescribeModel', 'DeleteModel', 'ListModels',
      'CreateEndpointConfig', 'DescribeEndpointConfig', 'DeleteEndpointConfig', 'ListEndpointConfigs',
      'CreateEndpoint', 'DescribeEndpoint', 'UpdateEndpoint', 'UpdateEndpointWeightsAndCapacities',
      'DeleteEndpoint', 'ListEndpoints',
      'CreateModelPackageGroup', 'DescribeModelPackageGroup', 'ListModelPackageGroups',
      'CreateModelPackage', 'DescribeModelPackage', 'ListModelPackages', 'UpdateModelPackage',
      'AddTags', 'ListTags', 'DeleteTags',
      'CreateInferenceComponent', 'DescribeInferenceComponent', 'UpdateInferenceComponent',
      'UpdateInferenceComponentRuntimeConfig', 'DeleteInferenceComponent', 'ListInferenceComponents',
    ],
  },
  runtime: {
    dir: 'sagemaker-runtime/2017-05-13',
    key: 'runtime',
    operations: ['InvokeEndpoint', 'InvokeEndpointAsync'],
  },
  cloudwatch: {
    dir: 'cloudwatch/2010-08-01',
    key: 'cloudwatch',
    operations: [
      'PutMetricAlarm', 'DescribeAlarms', 'DeleteAlarms', 'SetAlarmState',
      'GetMetricData', 'GetMetricStatistics',
    ],
  },
  autoscaling: {
    dir: 'application-autoscaling/2016-02-06',
    key: 'autoscaling',
    operations: [
      'RegisterScalableTarget', 'DeregisterScalableTarget', 'DescribeScalableTargets',
      'PutScalingPolicy', 'DescribeScalingPolicies', 'DeleteScalingPolicy',
    ],
  },
  // The local EventBridge's HTTP front (local/eventbridge-server.ts): what a function's own client calls.
  events: {
    dir: 'events/2015-10-07',
    key: 'events',
    operations: ['PutEvents'],
  },
};

function botocoreDataDir(): string {
  const arg = process.argv[2];
  if (arg) return resolve(arg);
  const dir = execFileSync('python3', ['-c', 'import botocore,os;print(os.path.dirname(botocore.__file__))'], {
    encoding: 'utf8',
  }).trim();
  return join(dir, 'data');
}

function loadModel(dataDir: string, dir: string): BotoModel {
  return JSON.parse(gunzipSync(readFileSync(join(dataDir, dir, 'service-2.json.gz'))).toString('utf8')) as BotoModel;
}

/** A member reference without documentation. */
function slimMember(m: BotoMember): Record<string, unknown> {
  const out: Record<string, unknown> = { shape: m.shape };
  if (m.location) out.location = m.location;
  if (m.locationName) out.locationName = m.locationName;
  return out;
}

/** A shape with its constraints, without documentation. */
function slimShape(s: BotoShape): Record<string, unknown> {
  const out: Record<string, unknown> = { type: s.type };
  for (const k of ['required', 'min', 'max', 'pattern', 'enum', 'payload'] as const) {
    if (s[k] !== undefined) out[k] = s[k];
  }
  if (s.members) {
    out.members = Object.fromEntries(Object.entries(s.members).map(([n, m]) => [n, slimMember(m)]));
  }
  if (s.member) out.member = slimMember(s.member);
  if (s.key) out.key = slimMember(s.key);
  if (s.value) out.value = slimMember(s.value);
  if (s.exception) out.exception = true;
  if (s.error) out.error = s.error;
  return out;
}

/**
 * Valid values the model states only in a member's documentation ("Valid values: <code>10</code>,
 * <code>30</code>…", e.g. MetricsConfig.MetricPublishFrequencyInSeconds), for number shapes that
 * carry no min/max/enum of their own: kept as the shape's `values`.
 */
function documentedValues(model: BotoModel): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const shape of Object.values(model.shapes)) {
    for (const m of Object.values(shape.members ?? {})) {
      const target = model.shapes[m.shape];
      const doc = typeof m.documentation === 'string' ? m.documentation : '';
      const list = /Valid values: ((?:<code>-?\d+<\/code>(?:, )?)+)/.exec(doc)?.[1];
      if (!list || !target || target.type !== 'integer' || target.min !== undefined || target.max !== undefined) continue;
      out.set(m.shape, [...list.matchAll(/<code>(-?\d+)<\/code>/g)].map((v) => Number(v[1])));
    }
  }
  return out;
}

function collect(model: BotoModel, root: string, into: Record<string, unknown>): void {
  const values = documentedValues(model);
  const stack = [root];
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (into[name] !== undefined) continue;
    const shape = model.shapes[name];
    if (!shape) throw new Error(`shape ${name} not in model`);
    into[name] = { ...slimShape(shape), ...(values.has(name) ? { values: values.get(name) } : {}) };
    const refs = [
      ...Object.values(shape.members ?? {}),
      ...(shape.member ? [shape.member] : []),
      ...(shape.key ? [shape.key] : []),
      ...(shape.value ? [shape.value] : []),
    ];
    for (const r of refs) stack.push(r.shape);
  }
}

/** Output shapes: member names and target shapes only (no recursion). */
function shallow(model: BotoModel, name: string): Record<string, unknown> {
  const shape = model.shapes[name];
  if (!shape) throw new Error(`shape ${name} not in model`);
  const out: Record<string, unknown> = { type: shape.type };
  if (shape.required) out.required = shape.required;
  if (shape.payload) out.payload = shape.payload;
  if (shape.members) out.members = Object.fromEntries(Object.entries(shape.members).map(([n, m]) => [n, slimMember(m)]));
  return out;
}

function main(): void {
  const dataDir = botocoreDataDir();
  const services: Record<string, unknown> = {};
  for (const { dir, key, operations } of Object.values(OPERATIONS)) {
    const model = loadModel(dataDir, dir);
    const shapes: Record<string, unknown> = {};
    const outputs: Record<string, unknown> = {};
    const ops: Record<string, unknown> = {};
    for (const opName of operations) {
      const op = model.operations[opName];
      if (!op) throw new Error(`${key}: operation ${opName} not in model`);
      if (op.input) collect(model, op.input.shape, shapes);
      if (op.output) outputs[op.output.shape] = shallow(model, op.output.shape);
      for (const e of op.errors ?? []) collect(model, e.shape, shapes);
      ops[opName] = {
        http: op.http,
        ...(op.input ? { input: op.input.shape } : {}),
        ...(op.output ? { output: op.output.shape } : {}),
        errors: (op.errors ?? []).map((e) => e.shape),
      };
    }
    const meta = model.metadata;
    services[key] = {
      metadata: {
        apiVersion: meta.apiVersion,
        protocol: meta.protocol,
        protocols: meta.protocols,
        jsonVersion: meta.jsonVersion,
        targetPrefix: meta.targetPrefix,
        awsQueryCompatible: meta.awsQueryCompatible !== undefined,
        uid: meta.uid,
      },
      operations: ops,
      shapes,
      outputShapes: outputs,
    };
  }
  const out = {
    comment: 'Generated by scripts/extract-api-shapes.ts from botocore service models. Do not edit by hand.',
    source: 'botocore ' + readBotocoreVersion(dataDir),
    services,
  };
  const file = resolve(__dirname, '..', 'local', 'api-shapes.json');
  const text = JSON.stringify(out);
  writeFileSync(file, text + '\n');
  console.log(`wrote ${file} (${(text.length / 1024).toFixed(0)} KB)`);
}

function readBotocoreVersion(dataDir: string): string {
  try {
    const init = readFileSync(join(dataDir, '..', '__init__.py'), 'utf8');
    return /__version__ = '([^']+)'/.exec(init)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

main();
