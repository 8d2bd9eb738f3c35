/**
 * Fidelity cross-check of the emulator against moto (a widely used Python AWS mock),
 * through the same real SDK v3 clients. Every case runs on both; outcomes are
 * compared as the error name (`err.name`) or the response's top-level keys.
 *
 * Where moto and the AWS API reference disagree, the emulator follows AWS and the
 * case records moto's behaviour with the reason (`moto` below). The divergences
 * found with moto 5.2.x:
 * - Validation: moto does not enforce the model's constraints (required members,
 *   patterns, enums) for most operations; AWS rejects with ValidationException
 *   (CloudWatch code ValidationError). Ref: each operation's "Request Parameters"
 *   in the SageMaker/CloudWatch API references, and botocore's service models.
 * - Duplicates: moto lets CreateModel/CreateEndpointConfig/CreateEndpoint/
 *   CreateModelPackageGroup overwrite an existing resource; AWS answers
 *   `Cannot create already existing endpoint "arn:..."` (ValidationException), as
 *   quoted in ministryofjustice/modernisation-platform-environments#9383
 *   and awslabs/spot-tagging-bot-for-digital-assets#2.
 * - Empty members: moto returns empty Containers/VpcConfig/DataCaptureConfig that
 *   were never set; AWS omits unset members.
 * - PutMetricAlarm: moto starts an alarm in OK; the API reference says "When this
 *   operation creates an alarm, the alarm state is immediately set to INSUFFICIENT_DATA".
 * - DescribeModelPackage: moto omits ModelApprovalStatus when it was not given; AWS
 *   reports PendingManualApproval for a versioned package.
 * - Not implemented by moto's server: UpdateEndpoint, AddTags/ListTags (HTML 404).
 * - DeleteEndpointConfig of a config in use: deleted by moto, by the emulator and by AWS (the
 *   API reference only says "You must not delete an EndpointConfig in use by an endpoint that
 *   is live", API_DeleteEndpointConfig); the emulator also records it as a hazard for tests.
 * - Application Auto Scaling (API reference: https://docs.aws.amazon.com/autoscaling/application/APIReference/):
 *   moto registers targets without MinCapacity/MaxCapacity, with MinCapacity > MaxCapacity, or for
 *   a SageMaker endpoint that does not exist; accepts policies on unregistered targets; ignores
 *   DescribeScalingPolicies' PolicyNames; keeps a target's policies when it is deregistered; answers
 *   ValidationException where AWS answers ObjectNotFoundException (deleting or deregistering what
 *   does not exist); returns no RoleARN/SuspendedState for a target.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import * as aas from '@aws-sdk/client-application-auto-scaling';
import * as cw from '@aws-sdk/client-cloudwatch';
import * as sm from '@aws-sdk/client-sagemaker';
import { type Emulator, startEmulator } from '../../local/emulator';

const motoAvailable = spawnSync('python3', ['-c', 'import moto.server, flask'], { stdio: 'ignore' }).status === 0;
if (!motoAvailable) {
  console.warn('moto-crosscheck: `python3 -m moto.server` is not available on this machine; the moto cross-check is SKIPPED.');
}

interface Side {
  name: 'emulator' | 'moto';
  sm: sm.SageMakerClient;
  cw: cw.CloudWatchClient;
  aas: aas.ApplicationAutoScalingClient;
  vars: { arn: string };
}
interface Case {
  label: string;
  run: (s: Side) => Promise<unknown>;
  /** Outcome the emulator must give (what AWS does). */
  aws: string;
  /** When moto differs: what it gives, and why we follow AWS. */
  moto?: { outcome: string; why: string };
}

/** `ok[Key,Key]` for a response (or the string a case returns), the error name for an error; `unsupported` for moto's HTML 404s. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    const r = await p;
    if (typeof r === 'string') return r;
    const keys = Object.keys((r as Record<string, unknown> | undefined) ?? {}).filter((k) => k !== '$metadata').sort();
    return `ok[${keys.join(',')}]`;
  } catch (e) {
    const err = e as Error & { $response?: unknown };
    if (err.name === 'SyntaxError' || /Deserialization error/.test(err.message)) return 'unsupported';
    return err.name;
  }
}

const ROLE = 'arn:aws:iam::123456789012:role/SageMakerRole';
const variant = (model: string): sm.ProductionVariant => ({ VariantName: 'blue', ModelName: model, InstanceType: 'ml.m5.large', InitialInstanceCount: 1 });
const spec: sm.InferenceSpecification = { Containers: [{ Image: 'img:1' }], SupportedContentTypes: ['application/json'], SupportedResponseMIMETypes: ['application/json'] };
const alarm: cw.PutMetricAlarmCommandInput = {
  AlarmName: 'ep-5xx',
  Namespace: 'AWS/SageMaker',
  MetricName: 'Invocation5XXErrors',
  Dimensions: [
    { Name: 'EndpointName', Value: 'ep' },
    { Name: 'VariantName', Value: 'blue' },
  ],
  Statistic: 'Sum',
  Period: 60,
  EvaluationPeriods: 1,
  Threshold: 1,
  ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  TreatMissingData: 'ignore',
};

async function waitInService(s: Side, name: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const d = await s.sm.send(new sm.DescribeEndpointCommand({ EndpointName: name }));
    if (d.EndpointStatus === 'InService') return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${s.name}: ${name} never InService`);
}

const AAS_DIM = 'sagemaker:variant:DesiredInstanceCount';
const AAS_RID = 'endpoint/as-ep/variant/blue';
const scalable = (resourceId = AAS_RID): { ServiceNamespace: 'sagemaker'; ResourceId: string; ScalableDimension: typeof AAS_DIM } => ({
  ServiceNamespace: 'sagemaker',
  ResourceId: resourceId,
  ScalableDimension: AAS_DIM,
});
const invocationsTracking: aas.TargetTrackingScalingPolicyConfiguration = {
  TargetValue: 70,
  PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
};

const VALIDATION = 'AWS validates the request against the API model; moto does not check this constraint';
const DUPLICATE = 'AWS rejects creating an existing resource ("Cannot create already existing ..."); moto overwrites it';

const CASES: Case[] = [
  { label: 'DescribeModel of a missing model', run: (s) => s.sm.send(new sm.DescribeModelCommand({ ModelName: 'missing' })), aws: 'ValidationException' },
  // Same name on both, for different reasons: AWS (and the emulator) reject the pattern; moto just does not find it.
  { label: 'DescribeModel with a name breaking the pattern', run: (s) => s.sm.send(new sm.DescribeModelCommand({ ModelName: 'bad_name' })), aws: 'ValidationException' },
  { label: 'CreateModel', run: (s) => s.sm.send(new sm.CreateModelCommand({ ModelName: 'm1', ExecutionRoleArn: ROLE, PrimaryContainer: { Image: 'img:1' } })), aws: 'ok[ModelArn]' },
  {
    label: 'CreateModel again with the same name',
    run: (s) => s.sm.send(new sm.CreateModelCommand({ ModelName: 'm1', ExecutionRoleArn: ROLE, PrimaryContainer: { Image: 'img:1' } })),
    aws: 'ValidationException',
    moto: { outcome: 'ok[ModelArn]', why: DUPLICATE },
  },
  {
    label: 'CreateModel without the required ModelName',
    run: (s) => s.sm.send(new sm.CreateModelCommand({ ExecutionRoleArn: ROLE, PrimaryContainer: { Image: 'img:1' } } as unknown as sm.CreateModelInput)),
    aws: 'ValidationException',
    moto: { outcome: 'ok[ModelArn]', why: VALIDATION },
  },
  {
    label: 'DescribeModel',
    run: (s) => s.sm.send(new sm.DescribeModelCommand({ ModelName: 'm1' })),
    aws: 'ok[CreationTime,EnableNetworkIsolation,ExecutionRoleArn,ModelArn,ModelName,PrimaryContainer]',
    moto: { outcome: 'ok[Containers,CreationTime,EnableNetworkIsolation,ExecutionRoleArn,ModelArn,ModelName,PrimaryContainer,VpcConfig]', why: 'moto returns empty Containers/VpcConfig that were never set' },
  },
  { label: 'CreateEndpointConfig naming a missing model', run: (s) => s.sm.send(new sm.CreateEndpointConfigCommand({ EndpointConfigName: 'c0', ProductionVariants: [variant('ghost')] })), aws: 'ValidationException' },
  { label: 'CreateEndpointConfig', run: (s) => s.sm.send(new sm.CreateEndpointConfigCommand({ EndpointConfigName: 'c1', ProductionVariants: [variant('m1')] })), aws: 'ok[EndpointConfigArn]' },
  {
    label: 'CreateEndpointConfig again with the same name',
    run: (s) => s.sm.send(new sm.CreateEndpointConfigCommand({ EndpointConfigName: 'c1', ProductionVariants: [variant('m1')] })),
    aws: 'ValidationException',
    moto: { outcome: 'ok[EndpointConfigArn]', why: DUPLICATE },
  },
  {
    label: 'DescribeEndpointConfig',
    run: (s) => s.sm.send(new sm.DescribeEndpointConfigCommand({ EndpointConfigName: 'c1' })),
    aws: 'ok[CreationTime,EndpointConfigArn,EndpointConfigName,ProductionVariants]',
    moto: { outcome: 'ok[CreationTime,DataCaptureConfig,EndpointConfigArn,EndpointConfigName,ProductionVariants]', why: 'moto returns an empty DataCaptureConfig that was never set' },
  },
  { label: 'DescribeEndpointConfig of a missing config', run: (s) => s.sm.send(new sm.DescribeEndpointConfigCommand({ EndpointConfigName: 'missing' })), aws: 'ValidationException' },
  { label: 'DescribeEndpoint of a missing endpoint', run: (s) => s.sm.send(new sm.DescribeEndpointCommand({ EndpointName: 'missing' })), aws: 'ValidationException' },
  { label: 'CreateEndpoint with a missing config', run: (s) => s.sm.send(new sm.CreateEndpointCommand({ EndpointName: 'e0', EndpointConfigName: 'missing' })), aws: 'ValidationException' },
  { label: 'CreateEndpoint', run: (s) => s.sm.send(new sm.CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'c1' })), aws: 'ok[EndpointArn]' },
  {
    label: 'CreateEndpoint again with the same name',
    run: (s) => s.sm.send(new sm.CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'c1' })),
    aws: 'ValidationException',
    moto: { outcome: 'ok[EndpointArn]', why: DUPLICATE },
  },
  {
    label: 'DescribeEndpoint once InService',
    run: async (s) => {
      await waitInService(s, 'ep');
      return s.sm.send(new sm.DescribeEndpointCommand({ EndpointName: 'ep' }));
    },
    aws: 'ok[CreationTime,EndpointArn,EndpointConfigName,EndpointName,EndpointStatus,LastModifiedTime,ProductionVariants]',
    moto: { outcome: 'ok[CreationTime,DataCaptureConfig,EndpointArn,EndpointConfigName,EndpointName,EndpointStatus,LastModifiedTime,ProductionVariants]', why: 'moto returns an empty DataCaptureConfig that was never set' },
  },
  {
    label: 'UpdateEndpointWeightsAndCapacities for an unknown variant',
    run: (s) => s.sm.send(new sm.UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: 'ep', DesiredWeightsAndCapacities: [{ VariantName: 'nope', DesiredWeight: 1 }] })),
    aws: 'ValidationException',
  },
  {
    label: 'UpdateEndpoint of a missing endpoint',
    run: (s) => s.sm.send(new sm.UpdateEndpointCommand({ EndpointName: 'missing', EndpointConfigName: 'c1' })),
    aws: 'ValidationException',
    moto: { outcome: 'unsupported', why: "moto's server does not implement UpdateEndpoint" },
  },
  {
    label: 'DeleteEndpointConfig while its endpoint is live',
    run: (s) => s.sm.send(new sm.DeleteEndpointConfigCommand({ EndpointConfigName: 'c1' })),
    aws: 'ok[]',
  },
  { label: 'DeleteEndpoint of a missing endpoint', run: (s) => s.sm.send(new sm.DeleteEndpointCommand({ EndpointName: 'missing' })), aws: 'ValidationException' },
  { label: 'DeleteEndpoint', run: (s) => s.sm.send(new sm.DeleteEndpointCommand({ EndpointName: 'ep' })), aws: 'ok[]' },
  { label: 'DeleteModel of a missing model', run: (s) => s.sm.send(new sm.DeleteModelCommand({ ModelName: 'missing' })), aws: 'ValidationException' },
  { label: 'CreateModelPackageGroup', run: (s) => s.sm.send(new sm.CreateModelPackageGroupCommand({ ModelPackageGroupName: 'grp' })), aws: 'ok[ModelPackageGroupArn]' },
  {
    label: 'CreateModelPackageGroup again with the same name',
    run: (s) => s.sm.send(new sm.CreateModelPackageGroupCommand({ ModelPackageGroupName: 'grp' })),
    aws: 'ValidationException',
    moto: { outcome: 'ok[ModelPackageGroupArn]', why: DUPLICATE },
  },
  { label: 'DescribeModelPackageGroup of a missing group', run: (s) => s.sm.send(new sm.DescribeModelPackageGroupCommand({ ModelPackageGroupName: 'missing' })), aws: 'ValidationException' },
  {
    label: 'CreateModelPackage in the group',
    run: async (s) => {
      const out = await s.sm.send(new sm.CreateModelPackageCommand({ ModelPackageGroupName: 'grp', InferenceSpecification: spec }));
      s.vars.arn = out.ModelPackageArn ?? '';
      return out;
    },
    aws: 'ok[ModelPackageArn]',
  },
  { label: 'CreateModelPackage in a missing group', run: (s) => s.sm.send(new sm.CreateModelPackageCommand({ ModelPackageGroupName: 'missing', InferenceSpecification: spec })), aws: 'ValidationException' },
  {
    label: 'CreateModelPackage with a MIME type breaking the pattern',
    run: (s) => s.sm.send(new sm.CreateModelPackageCommand({ ModelPackageGroupName: 'grp', InferenceSpecification: { ...spec, SupportedResponseMIMETypes: ['json'] } })),
    aws: 'ValidationException',
    moto: { outcome: 'ok[ModelPackageArn]', why: VALIDATION },
  },
  {
    label: 'DescribeModelPackage: default approval status of a new version',
    run: async (s) => String((await s.sm.send(new sm.DescribeModelPackageCommand({ ModelPackageName: s.vars.arn }))).ModelApprovalStatus),
    aws: 'PendingManualApproval',
    moto: { outcome: 'undefined', why: 'AWS sets PendingManualApproval on a new versioned package; moto leaves it unset' },
  },
  { label: 'DescribeModelPackage of a missing version', run: (s) => s.sm.send(new sm.DescribeModelPackageCommand({ ModelPackageName: s.vars.arn.replace(/\/\d+$/, '/99') })), aws: 'ValidationException' },
  { label: 'UpdateModelPackage to Approved', run: (s) => s.sm.send(new sm.UpdateModelPackageCommand({ ModelPackageArn: s.vars.arn, ModelApprovalStatus: 'Approved' })), aws: 'ok[ModelPackageArn]' },
  {
    label: 'UpdateModelPackage with an unknown approval status',
    run: (s) => s.sm.send(new sm.UpdateModelPackageCommand({ ModelPackageArn: s.vars.arn, ModelApprovalStatus: 'Yes' as sm.ModelApprovalStatus })),
    aws: 'ValidationException',
  },
  {
    label: 'ListModelPackages of the group (approved only)',
    run: async (s) => {
      const out = await s.sm.send(new sm.ListModelPackagesCommand({ ModelPackageGroupName: 'grp', ModelApprovalStatus: 'Approved' }));
      return `versions ${(out.ModelPackageSummaryList ?? []).map((p) => p.ModelPackageVersion).join(',')}`;
    },
    aws: 'versions 1',
  },
  {
    label: 'ListTags of a missing resource',
    run: (s) => s.sm.send(new sm.ListTagsCommand({ ResourceArn: s.vars.arn.replace(/model-package\/.*$/, 'model/ghost') })),
    aws: 'ResourceNotFound',
    moto: { outcome: 'unsupported', why: "moto's server does not implement ListTags for SageMaker" },
  },
  { label: 'PutMetricAlarm', run: (s) => s.cw.send(new cw.PutMetricAlarmCommand(alarm)), aws: 'ok[]' },
  {
    label: 'PutMetricAlarm with an unknown ComparisonOperator',
    run: (s) => s.cw.send(new cw.PutMetricAlarmCommand({ ...alarm, AlarmName: 'bad', ComparisonOperator: 'Bigger' as cw.ComparisonOperator })),
    aws: 'ValidationException',
    moto: { outcome: 'ok[]', why: VALIDATION },
  },
  {
    label: 'PutMetricAlarm without MetricName (and no Metrics)',
    run: (s) => s.cw.send(new cw.PutMetricAlarmCommand({ ...alarm, AlarmName: 'no-metric', MetricName: undefined })),
    aws: 'ValidationException',
    moto: { outcome: 'ok[]', why: 'AWS answers ValidationError "MetricName must not be null"; moto accepts' },
  },
  { label: 'DescribeAlarms', run: (s) => s.cw.send(new cw.DescribeAlarmsCommand({ AlarmNames: ['ep-5xx'] })), aws: 'ok[CompositeAlarms,MetricAlarms]' },
  {
    label: 'DescribeAlarms: state of a new alarm',
    run: async (s) => String((await s.cw.send(new cw.DescribeAlarmsCommand({ AlarmNames: ['ep-5xx'] }))).MetricAlarms?.[0]?.StateValue),
    aws: 'INSUFFICIENT_DATA',
    moto: { outcome: 'OK', why: 'the reference: "the alarm state is immediately set to INSUFFICIENT_DATA"' },
  },
  { label: 'SetAlarmState', run: (s) => s.cw.send(new cw.SetAlarmStateCommand({ AlarmName: 'ep-5xx', StateValue: 'ALARM', StateReason: 'test' })), aws: 'ok[]' },
  { label: 'SetAlarmState of a missing alarm', run: (s) => s.cw.send(new cw.SetAlarmStateCommand({ AlarmName: 'missing', StateValue: 'ALARM', StateReason: 'test' })), aws: 'ResourceNotFound' },
  {
    label: 'SetAlarmState with an unknown state',
    run: (s) => s.cw.send(new cw.SetAlarmStateCommand({ AlarmName: 'ep-5xx', StateValue: 'BROKEN' as cw.StateValue, StateReason: 'test' })),
    aws: 'ValidationException',
  },
  { label: 'DeleteAlarms naming a missing alarm', run: (s) => s.cw.send(new cw.DeleteAlarmsCommand({ AlarmNames: ['missing'] })), aws: 'ok[]' },
  {
    label: 'DeleteAlarms, then DescribeAlarms',
    run: async (s) => {
      await s.cw.send(new cw.DeleteAlarmsCommand({ AlarmNames: ['ep-5xx', 'bad', 'no-metric'] }));
      return `alarms ${(await s.cw.send(new cw.DescribeAlarmsCommand({}))).MetricAlarms?.length ?? 0}`;
    },
    aws: 'alarms 0',
  },
  // ---- Application Auto Scaling (API reference: https://docs.aws.amazon.com/autoscaling/application/APIReference/) ----
  {
    label: 'AAS setup: endpoint as-ep InService',
    run: async (s) => {
      await s.sm.send(new sm.CreateEndpointConfigCommand({ EndpointConfigName: 'as-c', ProductionVariants: [variant('m1')] }));
      await s.sm.send(new sm.CreateEndpointCommand({ EndpointName: 'as-ep', EndpointConfigName: 'as-c' }));
      await waitInService(s, 'as-ep');
      return 'ready';
    },
    aws: 'ready',
  },
  {
    label: 'RegisterScalableTarget of a new target without MinCapacity/MaxCapacity',
    run: (s) => s.aas.send(new aas.RegisterScalableTargetCommand(scalable())),
    aws: 'ValidationException',
    moto: { outcome: 'ok[ScalableTargetARN]', why: 'API_RegisterScalableTarget: MinCapacity/MaxCapacity are "required when registering a new scalable target"; moto stores a target without them' },
  },
  {
    label: 'RegisterScalableTarget with MinCapacity greater than MaxCapacity',
    run: (s) => s.aas.send(new aas.RegisterScalableTargetCommand({ ...scalable(), MinCapacity: 5, MaxCapacity: 2 })),
    aws: 'ValidationException',
    moto: { outcome: 'ok[ScalableTargetARN]', why: 'moto does not compare MinCapacity with MaxCapacity' },
  },
  {
    label: 'RegisterScalableTarget without the required ResourceId',
    run: (s) => s.aas.send(new aas.RegisterScalableTargetCommand({ ServiceNamespace: 'sagemaker', ScalableDimension: AAS_DIM, MinCapacity: 1, MaxCapacity: 2 } as aas.RegisterScalableTargetRequest)),
    aws: 'ValidationException',
    moto: { outcome: 'unsupported', why: "AWS answers \"'resourceId' ... Member must not be null\" (ValidationException); moto's server fails with an HTML error page" },
  },
  {
    label: 'RegisterScalableTarget with a dimension of another namespace',
    run: (s) => s.aas.send(new aas.RegisterScalableTargetCommand({ ...scalable(), ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 1, MaxCapacity: 2 })),
    aws: 'ValidationException',
  },
  {
    label: 'RegisterScalableTarget of a missing endpoint',
    run: (s) => s.aas.send(new aas.RegisterScalableTargetCommand({ ...scalable('endpoint/ghost/variant/blue'), MinCapacity: 1, MaxCapacity: 2 })),
    aws: 'ValidationException',
    moto: { outcome: 'ok[ScalableTargetARN]', why: 'AWS checks that the SageMaker endpoint variant exists; moto checks only ECS services' },
  },
  { label: 'RegisterScalableTarget', run: (s) => s.aas.send(new aas.RegisterScalableTargetCommand({ ...scalable(), MinCapacity: 1, MaxCapacity: 3 })), aws: 'ok[ScalableTargetARN]' },
  {
    label: 'DescribeScalableTargets of the target',
    run: async (s) => {
      const out = await s.aas.send(new aas.DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker', ResourceIds: [AAS_RID] }));
      return `targets ${(out.ScalableTargets ?? []).map((t) => `${t.ResourceId} [${t.MinCapacity},${t.MaxCapacity}]`).join(' ')}`;
    },
    aws: `targets ${'endpoint/as-ep/variant/blue'} [1,3]`,
  },
  {
    label: 'DescribeScalableTargets: members of a target',
    run: async (s) => {
      const out = await s.aas.send(new aas.DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker', ResourceIds: [AAS_RID] }));
      return `ok[${Object.keys(out.ScalableTargets?.[0] ?? {}).sort().join(',')}]`;
    },
    aws: 'ok[CreationTime,MaxCapacity,MinCapacity,ResourceId,RoleARN,ScalableDimension,ScalableTargetARN,ServiceNamespace,SuspendedState]',
    moto: {
      outcome: 'ok[CreationTime,MaxCapacity,MinCapacity,ResourceId,ScalableDimension,ScalableTargetARN,ServiceNamespace]',
      why: 'RoleARN is required in the ScalableTarget shape (AWS uses the service-linked role when none is given); moto returns null RoleARN and SuspendedState',
    },
  },
  {
    label: 'PutScalingPolicy (target tracking on SageMakerVariantInvocationsPerInstance)',
    run: (s) => s.aas.send(new aas.PutScalingPolicyCommand({ ...scalable(), PolicyName: 'p1', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: invocationsTracking })),
    aws: 'ok[Alarms,PolicyARN]',
  },
  {
    label: 'PutScalingPolicy on an unregistered target',
    run: (s) => s.aas.send(new aas.PutScalingPolicyCommand({ ...scalable('endpoint/as-ep/variant/green'), PolicyName: 'orphan', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: invocationsTracking })),
    aws: 'ObjectNotFoundException',
    moto: { outcome: 'ok[Alarms,PolicyARN]', why: 'API_PutScalingPolicy: "You cannot create a scaling policy until you have registered the resource as a scalable target"; moto does not check' },
  },
  {
    label: 'PutScalingPolicy of a new policy without PolicyType',
    run: (s) => s.aas.send(new aas.PutScalingPolicyCommand({ ...scalable(), PolicyName: 'untyped', TargetTrackingScalingPolicyConfiguration: invocationsTracking })),
    aws: 'ValidationException',
  },
  {
    label: 'DescribeScalingPolicies by PolicyNames',
    run: async (s) => {
      const out = await s.aas.send(new aas.DescribeScalingPoliciesCommand({ ServiceNamespace: 'sagemaker', PolicyNames: ['p1'] }));
      return `policies ${(out.ScalingPolicies ?? []).map((p) => p.PolicyName).join(',')}`;
    },
    aws: 'policies p1',
    moto: { outcome: 'policies p1,orphan', why: 'moto ignores the PolicyNames filter (and accepted the orphan policy above)' },
  },
  {
    label: 'DeleteScalingPolicy of a missing policy',
    run: (s) => s.aas.send(new aas.DeleteScalingPolicyCommand({ ...scalable(), PolicyName: 'missing' })),
    aws: 'ObjectNotFoundException',
    moto: { outcome: 'ValidationException', why: 'ObjectNotFoundException: "For any operation that deletes or deregisters a resource, this exception is thrown if the resource cannot be found"' },
  },
  { label: 'DeleteScalingPolicy', run: (s) => s.aas.send(new aas.DeleteScalingPolicyCommand({ ...scalable(), PolicyName: 'p1' })), aws: 'ok[]' },
  {
    label: 'DeregisterScalableTarget deletes the target\'s policies',
    run: async (s) => {
      await s.aas.send(new aas.PutScalingPolicyCommand({ ...scalable(), PolicyName: 'p2', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: invocationsTracking }));
      await s.aas.send(new aas.DeregisterScalableTargetCommand(scalable()));
      const out = await s.aas.send(new aas.DescribeScalingPoliciesCommand({ ServiceNamespace: 'sagemaker', ResourceId: AAS_RID }));
      return `policies ${(out.ScalingPolicies ?? []).map((p) => p.PolicyName).join(',')}`;
    },
    aws: 'policies ',
    moto: { outcome: 'policies p2', why: 'API_DeregisterScalableTarget: "Deregistering a scalable target deletes the scaling policies ... associated with it"; moto keeps them' },
  },
  {
    label: 'DeregisterScalableTarget of a target that is not registered',
    run: (s) => s.aas.send(new aas.DeregisterScalableTargetCommand(scalable())),
    aws: 'ObjectNotFoundException',
    moto: { outcome: 'ValidationException', why: 'ObjectNotFoundException: "For any operation that deletes or deregisters a resource, this exception is thrown if the resource cannot be found"' },
  },
];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function side(name: Side['name'], endpoint: string): Side {
  const cfg = { endpoint, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  return { name, sm: new sm.SageMakerClient(cfg), cw: new cw.CloudWatchClient(cfg), aas: new aas.ApplicationAutoScalingClient(cfg), vars: { arn: '' } };
}

(motoAvailable ? describe : describe.skip)('emulator vs moto (same requests through the SDK)', () => {
  let moto: ChildProcess | undefined;
  let emu: Emulator;
  let sides: { emulator: Side; moto: Side };

  beforeAll(async () => {
    const port = await freePort();
    moto = spawn('python3', ['-m', 'moto.server', '-p', String(port)], { stdio: 'ignore' });
    emu = await startEmulator({ provisioningMs: 20, accountId: '123456789012' });
    const motoUrl = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 12_000;
    for (;;) {
      try {
        await fetch(`${motoUrl}/moto-api/`);
        break;
      } catch {
        if (Date.now() > deadline) throw new Error('moto.server did not start within 12 s');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    sides = { emulator: side('emulator', emu.url), moto: side('moto', motoUrl) };
  }, 15_000);

  afterAll(async () => {
    for (const s of Object.values(sides ?? {})) {
      s.sm.destroy();
      s.cw.destroy();
      s.aas.destroy();
    }
    moto?.kill();
    await emu?.close();
  });

  it.each(CASES.map((c) => [c.label, c] as const))('%s', async (_label, c) => {
    const [onEmulator, onMoto] = [await outcome(c.run(sides.emulator)), await outcome(c.run(sides.moto))];
    expect(onEmulator).toBe(c.aws);
    // moto agrees, or disagrees exactly as documented in the case (and the header).
    expect(onMoto).toBe(c.moto?.outcome ?? c.aws);
  });
});
