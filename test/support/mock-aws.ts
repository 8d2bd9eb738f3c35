import {
  ApplicationAutoScalingClient,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  type PutScalingPolicyRequest,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DeleteAlarmsCommand, DescribeAlarmsCommand, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeModelPackageCommand,
  ListEndpointsCommand,
  SageMakerClient,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
  type CreateEndpointConfigInput,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

const ACCOUNT = '111122223333';
export const ROLE = `arn:aws:iam::${ACCOUNT}:role/SageMakerModelExecution`;
export const packageArn = (version: number) => `arn:aws:sagemaker:us-east-1:${ACCOUNT}:model-package/churn-models/${version}`;

function awsError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}
const notFound = (kind: string, name: string) =>
  awsError('ValidationException', `Could not find ${kind} "arn:aws:sagemaker:us-east-1:${ACCOUNT}:${kind.replace(' ', '-')}/${name.toLowerCase()}".`);

export interface Knobs {
  /** The next UpdateEndpoint ends back on the old config with this FailureReason. */
  failUpdate?: string;
  /** The next UpdateEndpoint ends back on the old config without a FailureReason. */
  silentRollback?: boolean;
  /** Updates never finish. */
  neverInService?: boolean;
  /** How many DescribeEndpoint calls an UpdateEndpoint takes to finish (default 2). */
  updateDescribes?: number;
  /** InvokeEndpoint to green answers with this status. */
  greenStatus?: number;
  /** Guardrail alarms in ALARM after this many DescribeAlarms calls of the bake. */
  alarmAfterChecks?: number;
  /** guardrails: green's first guardrail alarm (its 5xx) goes to ALARM as soon as SageMaker's deployment starts. */
  alarmDuringDeployment?: boolean;
  /** guardrails: an operator asks to abort (`bluegreen rollback`) as soon as SageMaker's deployment starts. */
  abortDuringDeployment?: boolean;
}

/** SageMaker's FailureReason when deployment guardrails roll a deployment back (as the local emulator words it). */
export const alarmRollbackReason = (alarmName: string) => `Deployment was rolled back because alarm ${alarmName} went into ALARM state.`;

/**
 * A small stateful stand-in for SageMaker, CloudWatch and DynamoDB behind
 * aws-sdk-client-mock, for the workflow tests: it moves an endpoint through Updating →
 * InService after two describes, like the real service would after a few minutes. The
 * full-fidelity emulator (local/emulator) backs the scenario tests instead.
 */
export function mockAws(knobs: Knobs = {}) {
  const sagemaker = mockClient(SageMakerClient);
  const runtime = mockClient(SageMakerRuntimeClient);
  const cloudwatch = mockClient(CloudWatchClient);
  const dynamo = mockClient(DynamoDBDocumentClient);
  const autoscaling = mockClient(ApplicationAutoScalingClient);

  const models = new Map<string, { role?: string; packageArn?: string }>();
  const configs = new Map<string, CreateEndpointConfigInput>();
  const alarms = new Map<string, { state: string; reason: string }>();
  /** Deletions of a config an endpoint was running: accepted, as SageMaker does, and listed here. */
  const hazards: string[] = [];
  const table = new Map<string, Record<string, unknown>>();
  /** Scalable targets by ResourceId (endpoint/<name>/variant/<variant>), each with its policies by name. */
  const scalableTargets = new Map<string, { min: number; max: number; policies: Map<string, PutScalingPolicyRequest> }>();
  type Variant = { VariantName: string; CurrentWeight: number; DesiredWeight: number; CurrentInstanceCount: number };
  type Pending = {
    config?: string;
    weights?: Record<string, number>;
    describesLeft: number;
    fail?: string;
    silent?: boolean;
    /** A DeploymentConfig update: SageMaker rolls it back when one of these alarms is in ALARM. */
    rollbackAlarms?: string[];
    /** While SageMaker rolls a deployment back, PendingDeploymentSummary still names its config (as the local emulator has it). */
    rollingBack?: string;
  };
  type Endpoint = { name: string; config: string; status: string; variants: Variant[]; failureReason?: string; pending?: Pending };
  /** Every endpoint by name: the promoted one, and guardrails' short-lived validation endpoint. */
  const endpoints = new Map<string, Endpoint>();
  /** The promoted endpoint: blue's, or the first one created. */
  let promoted: string | undefined;
  let alarmChecks = 0;

  const variantsOf = (configName: string): Variant[] =>
    (configs.get(configName)?.ProductionVariants ?? []).map((v) => ({
      VariantName: v.VariantName!,
      CurrentWeight: v.InitialVariantWeight ?? 1,
      DesiredWeight: v.InitialVariantWeight ?? 1,
      CurrentInstanceCount: v.InitialInstanceCount ?? 1,
    }));

  const world = {
    sagemaker, runtime, cloudwatch, dynamo, autoscaling, models, configs, alarms, table, scalableTargets, endpoints, hazards,
    /** The promoted endpoint (undefined once deleted). */
    get endpoint() { return promoted === undefined ? undefined : endpoints.get(promoted); },
    /** Blue: version 1 on a one-variant endpoint. */
    givenBlue(name = 'churn-prediction') {
      models.set('churn-v1', { role: ROLE, packageArn: packageArn(1) });
      configs.set('churn-v1-config', {
        EndpointConfigName: 'churn-v1-config',
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'churn-v1', InstanceType: 'ml.m5.large', InitialInstanceCount: 2, InitialVariantWeight: 1 }],
        DataCaptureConfig: { InitialSamplingPercentage: 10, DestinationS3Uri: 's3://capture/churn', CaptureOptions: [{ CaptureMode: 'Input' }] },
        KmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/blue-key',
      });
      promoted = name;
      endpoints.set(name, { name, config: 'churn-v1-config', status: 'InService', variants: variantsOf('churn-v1-config') });
    },
    approvedPackages: new Set<number>([1, 2, 3]),
  };

  sagemaker.on(DescribeModelPackageCommand).callsFake((input: { ModelPackageName: string }) => {
    const version = Number(input.ModelPackageName.split('/').pop());
    return {
      ModelPackageArn: input.ModelPackageName,
      ModelPackageGroupName: 'churn-models',
      ModelPackageVersion: version,
      ModelApprovalStatus: world.approvedPackages.has(version) ? 'Approved' : 'PendingManualApproval',
      InferenceSpecification: { Containers: [{ Image: 'img' }], SupportedRealtimeInferenceInstanceTypes: ['ml.m5.xlarge'] },
    };
  });
  sagemaker.on(DescribeModelCommand).callsFake((input: { ModelName: string }) => {
    const m = models.get(input.ModelName);
    if (!m) throw notFound('model', input.ModelName);
    return { ModelName: input.ModelName, ExecutionRoleArn: m.role, PrimaryContainer: { ModelPackageName: m.packageArn } };
  });
  sagemaker.on(CreateModelCommand).callsFake((input: { ModelName: string; ExecutionRoleArn: string; PrimaryContainer: { ModelPackageName: string } }) => {
    if (models.has(input.ModelName)) throw awsError('ValidationException', `Cannot create already existing model "${input.ModelName}".`);
    models.set(input.ModelName, { role: input.ExecutionRoleArn, packageArn: input.PrimaryContainer.ModelPackageName });
    return { ModelArn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:model/${input.ModelName}` };
  });
  sagemaker.on(DeleteModelCommand).callsFake((input: { ModelName: string }) => {
    if (!models.delete(input.ModelName)) throw notFound('model', input.ModelName);
    return {};
  });
  sagemaker.on(DescribeEndpointConfigCommand).callsFake((input: { EndpointConfigName: string }) => {
    const c = configs.get(input.EndpointConfigName);
    if (!c) throw notFound('endpoint configuration', input.EndpointConfigName);
    return structuredClone(c);
  });
  sagemaker.on(CreateEndpointConfigCommand).callsFake((input: CreateEndpointConfigInput) => {
    configs.set(input.EndpointConfigName!, structuredClone(input));
    return {};
  });
  sagemaker.on(DeleteEndpointConfigCommand).callsFake((input: { EndpointConfigName: string }) => {
    // As SageMaker (API_DeleteEndpointConfig: you "must not" delete one in use, but it is not refused) and the local
    // emulator: deleted even while an endpoint runs it; recorded, so a test can tell (hazards).
    if ([...endpoints.values()].some((e) => e.config === input.EndpointConfigName && e.status !== 'Deleting')) {
      hazards.push(`DeleteEndpointConfig ${input.EndpointConfigName} in use`);
      (globalThis as { __bluegreenMockHazards?: string[] }).__bluegreenMockHazards?.push(`DeleteEndpointConfig ${input.EndpointConfigName} in use`);
    }
    if (!configs.delete(input.EndpointConfigName)) throw notFound('endpoint configuration', input.EndpointConfigName);
    return {};
  });
  sagemaker.on(ListEndpointsCommand).callsFake(() => ({ Endpoints: [...endpoints.values()].map((e) => ({ EndpointName: e.name, EndpointStatus: e.status })) }));
  sagemaker.on(DescribeEndpointCommand).callsFake((input: { EndpointName: string }) => {
    const endpoint = endpoints.get(input.EndpointName);
    if (!endpoint) throw notFound('endpoint', input.EndpointName);
    // Deployment guardrails: an alarm of the auto-rollback list in ALARM sends traffic back to the old fleet.
    const fired = endpoint.pending?.rollbackAlarms?.find((a) => alarms.get(a)?.state === 'ALARM');
    if (fired) endpoint.pending = { describesLeft: 2, fail: alarmRollbackReason(fired), rollingBack: endpoint.pending!.config };
    const p = endpoint.pending;
    if (p && --p.describesLeft <= 0 && !knobs.neverInService) {
      endpoint.pending = undefined;
      if (endpoint.status === 'Deleting') {
        endpoints.delete(endpoint.name);
        throw notFound('endpoint', input.EndpointName);
      }
      if (p.fail || p.silent) {
        endpoint.status = endpoint.status === 'Creating' ? 'Failed' : 'InService';
        endpoint.failureReason = p.fail;
      } else {
        endpoint.status = 'InService';
        if (p.config) {
          endpoint.config = p.config;
          endpoint.variants = variantsOf(p.config);
        }
        for (const v of endpoint.variants) if (p.weights?.[v.VariantName] !== undefined) v.CurrentWeight = v.DesiredWeight = p.weights[v.VariantName]!;
      }
    }
    return {
      EndpointName: endpoint.name,
      EndpointConfigName: endpoint.config,
      EndpointStatus: endpoint.status,
      FailureReason: endpoint.failureReason,
      ProductionVariants: structuredClone(endpoint.variants),
      // While an update to a new config runs, DescribeEndpoint names the old config and the pending one.
      ...(endpoint.pending?.config || endpoint.pending?.rollingBack ? { PendingDeploymentSummary: { EndpointConfigName: endpoint.pending.config ?? endpoint.pending.rollingBack } } : {}),
    };
  });
  sagemaker.on(CreateEndpointCommand).callsFake((input: { EndpointName: string; EndpointConfigName: string }) => {
    if (endpoints.has(input.EndpointName)) throw awsError('ValidationException', `Cannot create already existing endpoint "${input.EndpointName}".`);
    promoted ??= input.EndpointName;
    endpoints.set(input.EndpointName, {
      name: input.EndpointName,
      config: input.EndpointConfigName,
      status: 'Creating',
      variants: variantsOf(input.EndpointConfigName),
      pending: { describesLeft: 2, fail: knobs.failUpdate },
    });
    return {};
  });
  sagemaker.on(UpdateEndpointCommand).callsFake((input: { EndpointName: string; EndpointConfigName: string; DeploymentConfig?: { AutoRollbackConfiguration?: { Alarms?: Array<{ AlarmName?: string }> } } }) => {
    const endpoint = endpoints.get(input.EndpointName);
    if (!endpoint) throw notFound('endpoint', input.EndpointName);
    if (endpoint.status !== 'InService') throw awsError('ValidationException', `Cannot update in-progress endpoint "${input.EndpointName}".`);
    // As SageMaker: a variant still registered with Application Auto Scaling cannot be removed.
    const kept = new Set((configs.get(input.EndpointConfigName)?.ProductionVariants ?? []).map((v) => v.VariantName));
    const scaled = [...scalableTargets.keys()].filter((id) => id.startsWith(`endpoint/${endpoint.name}/variant/`)).map((id) => id.split('/')[3]!);
    const blocked = scaled.filter((v) => !kept.has(v));
    if (blocked.length > 0) {
      throw awsError('ValidationException', `The variant(s) "[${blocked.join(', ')}]" must be deregistered as scalable targets with AWS Application Auto Scaling before they can be removed or have their instance type updated.`);
    }
    const rollbackAlarms = (input.DeploymentConfig?.AutoRollbackConfiguration?.Alarms ?? []).map((a) => a.AlarmName!);
    endpoint.status = 'Updating';
    endpoint.failureReason = undefined;
    endpoint.pending = { config: input.EndpointConfigName, describesLeft: knobs.updateDescribes ?? 2, fail: knobs.failUpdate, silent: knobs.silentRollback, rollbackAlarms };
    knobs.updateDescribes = undefined;
    knobs.failUpdate = undefined;
    knobs.silentRollback = undefined;
    if (input.DeploymentConfig && knobs.alarmDuringDeployment && rollbackAlarms[0] && alarms.has(rollbackAlarms[0])) {
      Object.assign(alarms.get(rollbackAlarms[0])!, { state: 'ALARM', reason: 'Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (0.0).' });
    }
    if (input.DeploymentConfig && knobs.abortDuringDeployment) {
      const lock = table.get(`${input.EndpointName}|LOCK`);
      if (lock) lock.abortRequested = { error: 'PromotionAborted', reason: 'conversion dropped', at: '2026-11-22T00:00:00Z' };
    }
    return {};
  });
  sagemaker.on(UpdateEndpointWeightsAndCapacitiesCommand).callsFake((input: { EndpointName: string; DesiredWeightsAndCapacities: Array<{ VariantName: string; DesiredWeight: number }> }) => {
    const endpoint = endpoints.get(input.EndpointName);
    if (!endpoint || endpoint.status !== 'InService') throw awsError('ValidationException', `Cannot update in-progress endpoint "${input.EndpointName}".`);
    endpoint.status = 'Updating';
    const weights = Object.fromEntries(input.DesiredWeightsAndCapacities.map((w) => [w.VariantName, w.DesiredWeight]));
    for (const v of endpoint.variants) if (weights[v.VariantName] !== undefined) v.DesiredWeight = weights[v.VariantName]!;
    endpoint.pending = { weights, describesLeft: 1 };
    return {};
  });
  sagemaker.on(DeleteEndpointCommand).callsFake((input: { EndpointName: string }) => {
    const endpoint = endpoints.get(input.EndpointName);
    if (!endpoint) throw notFound('endpoint', input.EndpointName);
    endpoint.status = 'Deleting';
    endpoint.pending = { describesLeft: 1 };
    return {};
  });

  runtime.on(InvokeEndpointCommand).callsFake((input: { EndpointName: string; TargetVariant?: string }) => {
    if (!endpoints.has(input.EndpointName)) throw awsError('ValidationException', `Endpoint ${input.EndpointName} of account ${ACCOUNT} not found.`);
    const status = knobs.greenStatus ?? 200;
    if (status !== 200) {
      const e = awsError('ModelError', `Received server error (${status}) from primary with message "boom".`) as Error & { OriginalStatusCode: number };
      e.OriginalStatusCode = status;
      throw e;
    }
    return { Body: new TextEncoder().encode(JSON.stringify({ churn: 0.12, variant: input.TargetVariant })), ContentType: 'application/json' };
  });

  cloudwatch.on(PutMetricAlarmCommand).callsFake((input: { AlarmName: string }) => {
    alarms.set(input.AlarmName, { state: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation' });
    return {};
  });
  cloudwatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames?: string[] }) => {
    if (alarms.size > 0) alarmChecks++;
    if (knobs.alarmAfterChecks !== undefined && alarmChecks > knobs.alarmAfterChecks) {
      for (const a of alarms.values()) Object.assign(a, { state: 'ALARM', reason: 'Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (0.0).' });
    }
    return {
      MetricAlarms: (input.AlarmNames ?? []).filter((n) => alarms.has(n)).map((n) => ({ AlarmName: n, StateValue: alarms.get(n)!.state, StateReason: alarms.get(n)!.reason })),
    };
  });
  cloudwatch.on(SetAlarmStateCommand).callsFake((input: { AlarmName: string; StateValue: string; StateReason: string }) => {
    const alarm = alarms.get(input.AlarmName);
    if (!alarm) throw awsError('ResourceNotFound', `Alarm ${input.AlarmName} not found`);
    Object.assign(alarm, { state: input.StateValue, reason: input.StateReason });
    return {};
  });
  cloudwatch.on(DeleteAlarmsCommand).callsFake((input: { AlarmNames: string[] }) => {
    for (const n of input.AlarmNames) alarms.delete(n);
    return {};
  });

  autoscaling.on(RegisterScalableTargetCommand).callsFake((input: { ResourceId: string; MinCapacity?: number; MaxCapacity?: number }) => {
    const existing = scalableTargets.get(input.ResourceId);
    if (!existing && (input.MinCapacity === undefined || input.MaxCapacity === undefined)) throw awsError('ValidationException', 'MinCapacity and MaxCapacity are required');
    scalableTargets.set(input.ResourceId, { min: input.MinCapacity ?? existing!.min, max: input.MaxCapacity ?? existing!.max, policies: existing?.policies ?? new Map() });
    return { ScalableTargetARN: `arn:aws:application-autoscaling:us-east-1:${ACCOUNT}:scalable-target/${input.ResourceId.length}` };
  });
  autoscaling.on(DescribeScalableTargetsCommand).callsFake((input: { ResourceIds?: string[] }) => ({
    ScalableTargets: [...scalableTargets]
      .filter(([id]) => !input.ResourceIds || input.ResourceIds.includes(id))
      .map(([id, t]) => ({ ServiceNamespace: 'sagemaker', ResourceId: id, ScalableDimension: 'sagemaker:variant:DesiredInstanceCount', MinCapacity: t.min, MaxCapacity: t.max })),
  }));
  autoscaling.on(PutScalingPolicyCommand).callsFake((input: PutScalingPolicyRequest) => {
    const target = scalableTargets.get(input.ResourceId!);
    if (!target) throw awsError('ObjectNotFoundException', `No scalable target registered for ${input.ResourceId}`);
    target.policies.set(input.PolicyName!, structuredClone(input));
    return { PolicyARN: `arn:aws:autoscaling:us-east-1:${ACCOUNT}:scalingPolicy:${input.PolicyName}` };
  });
  autoscaling.on(DescribeScalingPoliciesCommand).callsFake((input: { ResourceId?: string }) => ({
    ScalingPolicies: [...scalableTargets]
      .filter(([id]) => input.ResourceId === undefined || input.ResourceId === id)
      .flatMap(([, t]) => [...t.policies.values()].map((p) => ({ ...structuredClone(p), PolicyARN: `arn:${p.PolicyName}`, CreationTime: new Date(0) }))),
  }));
  autoscaling.on(DeregisterScalableTargetCommand).callsFake((input: { ResourceId: string }) => {
    if (!scalableTargets.delete(input.ResourceId)) throw awsError('ObjectNotFoundException', `No scalable target found for ${input.ResourceId}`);
    return {};
  });

  const key = (k: { endpointName: string; sk: string }) => `${k.endpointName}|${k.sk}`;
  dynamo.on(PutCommand).callsFake((input: { Item: { endpointName: string; sk: string; promotionId?: string }; ConditionExpression?: string; ExpressionAttributeValues?: Record<string, unknown> }) => {
    const existing = table.get(key(input.Item));
    if (input.ConditionExpression && existing && existing.promotionId !== input.ExpressionAttributeValues?.[':me']) {
      throw awsError('ConditionalCheckFailedException', 'The conditional request failed');
    }
    table.set(key(input.Item), { ...input.Item });
    return {};
  });
  dynamo.on(GetCommand).callsFake((input: { Key: { endpointName: string; sk: string } }) => ({ Item: table.get(key(input.Key)) }));
  /** `SET a = :a, #b = :b, c = if_not_exists(c, :c)`: the shapes the handlers use. */
  dynamo.on(UpdateCommand).callsFake(
    (input: { Key: { endpointName: string; sk: string }; UpdateExpression: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues: Record<string, unknown> }) => {
      const item = table.get(key(input.Key)) ?? { ...input.Key };
      const remove = /^REMOVE (.+)$/.exec(input.UpdateExpression);
      if (remove) {
        for (const attribute of remove[1]!.split(/,\s*/)) delete item[attribute];
        table.set(key(input.Key), item);
        return {};
      }
      for (const assignment of input.UpdateExpression.replace(/^SET /, '').split(/,\s*(?![^(]*\))/)) {
        const [lhs, rhs] = assignment.split('=').map((x) => x.trim()) as [string, string];
        const attribute = input.ExpressionAttributeNames?.[lhs] ?? lhs;
        const valueRef = /:(\w+)\)?$/.exec(rhs)?.[0].replace(')', '') ?? rhs;
        if (rhs.startsWith('if_not_exists') && item[attribute] !== undefined) continue;
        item[attribute] = input.ExpressionAttributeValues[valueRef];
      }
      table.set(key(input.Key), item);
      return {};
    },
  );
  dynamo.on(DeleteCommand).callsFake((input: { Key: { endpointName: string; sk: string }; ExpressionAttributeValues?: Record<string, unknown> }) => {
    const existing = table.get(key(input.Key));
    if (existing && existing.promotionId !== input.ExpressionAttributeValues?.[':me']) throw awsError('ConditionalCheckFailedException', 'The conditional request failed');
    table.delete(key(input.Key));
    return {};
  });

  return world;
}
