import { ApplicationAutoScalingClient, PutScalingPolicyCommand, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  type CreateEndpointConfigCommandInput,
  CreateModelCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DescribeEndpointCommand,
  SageMakerClient,
  UpdateModelPackageCommand,
  waitUntilEndpointInService,
} from '@aws-sdk/client-sagemaker';
import { LOCAL_ACCOUNT } from './template';

/**
 * The starting world of the demo and the scenario tests, made through the real SDK
 * against the local AWS: a model package group with versions, and an endpoint that a
 * team deployed by hand before adopting sagemaker-bluegreen (blue).
 */
export const MODEL_ROLE = `arn:aws:iam::${LOCAL_ACCOUNT}:role/SageMakerModelExecution`;

/** The scaling `Seed.autoscale` gives a variant: 2–4 instances, target tracking on invocations per instance. */
export const SEED_SCALING = { minCapacity: 2, maxCapacity: 4, policyName: 'invocations-per-instance', invocationsPerInstance: 1000 } as const;

export class Seed {
  readonly sagemaker = new SageMakerClient({});
  readonly autoscaling = new ApplicationAutoScalingClient({});

  async group(name: string): Promise<void> {
    await this.sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: name, ModelPackageGroupDescription: 'churn model versions' }));
  }

  /** Registers the next version of the group; returns its ARN. */
  async register(group: string): Promise<string> {
    const out = await this.sagemaker.send(
      new CreateModelPackageCommand({
        ModelPackageGroupName: group,
        ModelApprovalStatus: 'PendingManualApproval',
        InferenceSpecification: {
          Containers: [{ Image: `${LOCAL_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/churn:latest`, ModelDataUrl: `s3://models/${group}/model.tar.gz` }],
          SupportedContentTypes: ['application/json'],
          SupportedResponseMIMETypes: ['application/json'],
          SupportedRealtimeInferenceInstanceTypes: ['ml.m5.large'],
        },
      }),
    );
    return out.ModelPackageArn!;
  }

  async setApproval(modelPackageArn: string, status: 'Approved' | 'Rejected' | 'PendingManualApproval'): Promise<void> {
    await this.sagemaker.send(new UpdateModelPackageCommand({ ModelPackageArn: modelPackageArn, ModelApprovalStatus: status, ApprovalDescription: `${status} by the demo` }));
  }

  /**
   * Blue, deployed by hand: a model from the package, a one-variant config (AllTraffic), an endpoint;
   * waits for InService. `autoscaling`: AllTraffic is then registered with Application Auto Scaling (`autoscale`).
   * `metricsConfig`: the config's MetricsConfig (e.g. enhanced metrics published every 10 s).
   */
  async blueEndpoint(
    endpointName: string,
    modelPackageArn: string,
    instanceCount = 2,
    options: { autoscaling?: boolean; metricsConfig?: CreateEndpointConfigCommandInput['MetricsConfig'] } = {},
  ): Promise<void> {
    const model = `${endpointName}-handmade-model`;
    await this.sagemaker.send(new CreateModelCommand({ ModelName: model, ExecutionRoleArn: MODEL_ROLE, PrimaryContainer: { ModelPackageName: modelPackageArn } }));
    await this.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: `${endpointName}-handmade-config`,
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: model, InstanceType: 'ml.m5.large', InitialInstanceCount: instanceCount, InitialVariantWeight: 1 }],
        DataCaptureConfig: { EnableCapture: true, InitialSamplingPercentage: 20, DestinationS3Uri: 's3://capture/churn', CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }] },
        MetricsConfig: options.metricsConfig,
      }),
    );
    await this.sagemaker.send(new CreateEndpointCommand({ EndpointName: endpointName, EndpointConfigName: `${endpointName}-handmade-config` }));
    await waitUntilEndpointInService({ client: this.sagemaker, maxWaitTime: 120, minDelay: 0.05, maxDelay: 0.2 } as never, { EndpointName: endpointName });
    if (options.autoscaling) await this.autoscale(endpointName, 'AllTraffic');
  }

  /**
   * Registers a variant as a scalable target (SEED_SCALING: 2–4 instances) with a target-tracking policy on
   * SageMakerVariantInvocationsPerInstance, as a team would have set up by hand. Registering moves a variant
   * outside the range into it (the endpoint is then Updating), so this waits for InService again.
   * No `variantName`: the endpoint's only variant. Returns the variant registered.
   */
  async autoscale(endpointName: string, variantName?: string): Promise<string> {
    if (variantName === undefined) {
      const variants = (await this.sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }))).ProductionVariants ?? [];
      if (variants.length !== 1) throw new Error(`autoscale: ${endpointName} has ${variants.length} variants; name the one to register`);
      variantName = variants[0]!.VariantName!;
    }
    const target = { ServiceNamespace: 'sagemaker', ResourceId: `endpoint/${endpointName}/variant/${variantName}`, ScalableDimension: 'sagemaker:variant:DesiredInstanceCount' } as const;
    await this.autoscaling.send(new RegisterScalableTargetCommand({ ...target, MinCapacity: SEED_SCALING.minCapacity, MaxCapacity: SEED_SCALING.maxCapacity }));
    await this.autoscaling.send(
      new PutScalingPolicyCommand({
        ...target,
        PolicyName: SEED_SCALING.policyName,
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: {
          TargetValue: SEED_SCALING.invocationsPerInstance,
          PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
        },
      }),
    );
    await waitUntilEndpointInService({ client: this.sagemaker, maxWaitTime: 120, minDelay: 0.05, maxDelay: 0.2 } as never, { EndpointName: endpointName });
    return variantName;
  }
}

/** What `npm run local-aws -- --seed` makes: the README's walk-through (section "Try the CLI on the local AWS") runs against it. */
export const WALKTHROUGH = { group: 'churn-models', endpoint: 'demo-churn' } as const;

/** The walk-through's commands, in the README's order: what the seed prints, and what the README shows. */
export function walkThroughCommands(v2: string, v3: string): string[] {
  const e = WALKTHROUGH.endpoint;
  return [
    `npx bluegreen status ${e}`,
    `npx bluegreen plan ${e} --model-package ${v2}`,
    `npx bluegreen promote ${e} --model-package ${v2} --bake 30m --watch`,
    `npx bluegreen status ${e}`,
    `npx bluegreen history ${e}`,
    // Version 3, left for after the walk-through: its fleet made to fail first, so it rolls back.
    `curl -s -X POST "$AWS_ENDPOINT_URL_SAGEMAKER/_emulator/faults/failFleet" -d '{"modelPackageVersion": 3}'`,
    `npx bluegreen promote ${e} --model-package ${v3} --watch`,
  ];
}

/**
 * The walk-through's world: group churn-models with v1 (pending) and v2 and v3 (Approved), and
 * demo-churn, a hand-made endpoint serving v1 (blue). churn-models is routed to churn-prediction in
 * cdk.json, so, as on AWS, the approvals also promote churn-prediction (v2, then v3 queued behind it);
 * demo-churn is the walk-through's alone. Returns the lines to print: what was made, then the commands.
 */
export async function seedWalkThrough(seed = new Seed()): Promise<string[]> {
  const { group, endpoint } = WALKTHROUGH;
  await seed.group(group);
  const v1 = await seed.register(group);
  await seed.blueEndpoint(endpoint, v1);
  const v2 = await seed.register(group);
  const v3 = await seed.register(group);
  await seed.setApproval(v2, 'Approved');
  await seed.setApproval(v3, 'Approved');
  const commands = walkThroughCommands(v2, v3);
  return [
    `Seeded: model package group ${group} (v1 pending, v2 and v3 Approved), endpoint ${endpoint} serving v1.`,
    `The approvals also promote churn-prediction (${group} is routed there in cdk.json), as they would on AWS.`,
    'Walk-through (README, "Try the CLI on the local AWS"), in the shell where you pasted the exports:',
    ...commands.slice(0, 5).map((c) => `  ${c}`),
    `Then version 3 is yours: make its fleet fail and watch the promotion roll back (or promote it as it is):`,
    ...commands.slice(5).map((c) => `  ${c}`),
  ];
}
