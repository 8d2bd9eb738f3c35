import { ApplicationAutoScalingClient, PutScalingPolicyCommand, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  type CreateEndpointConfigCommandInput,
  CreateModelCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  CreateInferenceComponentCommand,
  DescribeInferenceComponentCommand,
  DescribeEndpointCommand,
  SageMakerClient,
  UpdateModelPackageCommand,
  waitUntilEndpointInService,
} from '@aws-sdk/client-sagemaker';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_ACCOUNT } from './template';

/**
 * The starting world of the demo and the scenario tests, made through the real SDK
 * against the local AWS: a model package group with versions, and an endpoint that a
 * team deployed by hand before adopting sagemaker-bluegreen (blue).
 */
export const MODEL_ROLE = `arn:aws:iam::${LOCAL_ACCOUNT}:role/SageMakerModelExecution`;

/** The bucket of the asynchronous blues `Seed.asyncBlueEndpoint` makes (their outputs under `<endpoint>/`); the stack's asyncOutputBucketNames names it. */
export const ASYNC_SEED = { bucket: 'async-inference' } as const;

/** The scaling `Seed.autoscale` gives a variant: 2–4 instances, target tracking on invocations per instance. */
export const SEED_SCALING = { minCapacity: 2, maxCapacity: 4, policyName: 'invocations-per-instance', invocationsPerInstance: 1000 } as const;

export class Seed {
  readonly sagemaker = new SageMakerClient({});
  readonly autoscaling = new ApplicationAutoScalingClient({});
  readonly s3 = new S3Client({});

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

  /** A hand-made model of a package version, as a team deploys one before adopting the tool. */
  async model(modelName: string, modelPackageArn: string): Promise<void> {
    await this.sagemaker.send(new CreateModelCommand({ ModelName: modelName, ExecutionRoleArn: MODEL_ROLE, PrimaryContainer: { ModelPackageName: modelPackageArn } }));
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
    await this.model(model, modelPackageArn);
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
   * A serverless blue, deployed by hand: a model from the package, a config whose one variant (AllTraffic) has a
   * ServerlessConfig (no instances, no data capture: serverless-endpoints.html, feature exclusions), an endpoint;
   * waits for InService. Same names as `blueEndpoint`.
   */
  async serverlessBlueEndpoint(
    endpointName: string,
    modelPackageArn: string,
    serverless: { memorySizeInMB: number; maxConcurrency: number; provisionedConcurrency?: number } = { memorySizeInMB: 2048, maxConcurrency: 5 },
  ): Promise<void> {
    const model = `${endpointName}-handmade-model`;
    await this.model(model, modelPackageArn);
    const ServerlessConfig = { MemorySizeInMB: serverless.memorySizeInMB, MaxConcurrency: serverless.maxConcurrency, ProvisionedConcurrency: serverless.provisionedConcurrency };
    await this.sagemaker.send(
      new CreateEndpointConfigCommand({ EndpointConfigName: `${endpointName}-handmade-config`, ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: model, ServerlessConfig }] }),
    );
    await this.sagemaker.send(new CreateEndpointCommand({ EndpointName: endpointName, EndpointConfigName: `${endpointName}-handmade-config` }));
    await waitUntilEndpointInService({ client: this.sagemaker, maxWaitTime: 120, minDelay: 0.05, maxDelay: 0.2 } as never, { EndpointName: endpointName });
  }

  /**
   * An A/B test, deployed by hand: one model per variant (all from `modelPackageArn`), a config with the
   * variants at their weights and instance counts, the endpoint; waits for InService.
   */
  async multiVariantEndpoint(endpointName: string, modelPackageArn: string, variants: Array<{ name: string; weight: number; instances: number }>): Promise<void> {
    for (const v of variants) {
      await this.model(`${endpointName}-${v.name}-model`, modelPackageArn);
    }
    await this.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: `${endpointName}-handmade-config`,
        ProductionVariants: variants.map((v) => ({ VariantName: v.name, ModelName: `${endpointName}-${v.name}-model`, InstanceType: 'ml.m5.large', InitialInstanceCount: v.instances, InitialVariantWeight: v.weight })),
      }),
    );
    await this.sagemaker.send(new CreateEndpointCommand({ EndpointName: endpointName, EndpointConfigName: `${endpointName}-handmade-config` }));
    await waitUntilEndpointInService({ client: this.sagemaker, maxWaitTime: 120, minDelay: 0.05, maxDelay: 0.2 } as never, { EndpointName: endpointName });
  }

  /**
   * An asynchronous blue, deployed by hand: the bucket (local S3), a model from the package, a one-variant config
   * (AllTraffic) with AsyncInferenceConfig writing outputs to `s3://<bucket>/<endpoint>/out` and failures to
   * `s3://<bucket>/<endpoint>/failures` (ASYNC_SEED), an endpoint; waits for InService. Returns the locations.
   */
  async asyncBlueEndpoint(endpointName: string, modelPackageArn: string, instanceCount = 1): Promise<{ bucket: string; outputPath: string; failurePath: string }> {
    const bucket = ASYNC_SEED.bucket;
    try {
      await this.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (error) {
      // Several async blues share the bucket.
      if ((error as Error).name !== 'BucketAlreadyOwnedByYou') throw error;
    }
    const outputPath = `s3://${bucket}/${endpointName}/out`;
    const failurePath = `s3://${bucket}/${endpointName}/failures`;
    const model = `${endpointName}-handmade-model`;
    await this.model(model, modelPackageArn);
    await this.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: `${endpointName}-handmade-config`,
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: model, InstanceType: 'ml.m5.large', InitialInstanceCount: instanceCount, InitialVariantWeight: 1 }],
        AsyncInferenceConfig: { OutputConfig: { S3OutputPath: outputPath, S3FailurePath: failurePath }, ClientConfig: { MaxConcurrentInvocationsPerInstance: 4 } },
      }),
    );
    await this.sagemaker.send(new CreateEndpointCommand({ EndpointName: endpointName, EndpointConfigName: `${endpointName}-handmade-config` }));
    await waitUntilEndpointInService({ client: this.sagemaker, maxWaitTime: 120, minDelay: 0.05, maxDelay: 0.2 } as never, { EndpointName: endpointName });
    return { bucket, outputPath, failurePath };
  }

  /**
   * An inference component endpoint deployed by hand: a config whose variant (AllTraffic) names no
   * model (ml.g5.12xlarge: 4 GPUs each, `instanceCount` of them, default 2), the endpoint, a model from
   * the package, and a component `<endpoint>-handmade-ic` running `copies` copies of it (one GPU a copy);
   * waits for both InService. Returns the component's name. The default 8 GPUs leave room beside 4
   * copies for a validation copy and a rolling batch of 2 (copies need room: the emulator's placement.ts).
   * (A model's Container with an image is summarised by Describe as DeployedImage.)
   */
  async componentEndpoint(endpointName: string, modelPackageArn: string, copies = 4, options: { instanceCount?: number; componentName?: string } = {}): Promise<string> {
    const model = `${endpointName}-handmade-model`;
    const component = options.componentName ?? `${endpointName}-handmade-ic`;
    await this.model(model, modelPackageArn);
    await this.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: `${endpointName}-handmade-config`,
        ExecutionRoleArn: MODEL_ROLE,
        ProductionVariants: [{ VariantName: 'AllTraffic', InstanceType: 'ml.g5.12xlarge', InitialInstanceCount: options.instanceCount ?? 2, RoutingConfig: { RoutingStrategy: 'LEAST_OUTSTANDING_REQUESTS' } }],
      }),
    );
    await this.sagemaker.send(new CreateEndpointCommand({ EndpointName: endpointName, EndpointConfigName: `${endpointName}-handmade-config` }));
    await waitUntilEndpointInService({ client: this.sagemaker, maxWaitTime: 120, minDelay: 0.05, maxDelay: 0.2 } as never, { EndpointName: endpointName });
    await this.component(endpointName, component, model, copies);
    return component;
  }

  /** One inference component on an inference component endpoint's AllTraffic, `copies` copies of `model`; waits for InService. */
  async component(endpointName: string, name: string, model: string, copies: number): Promise<void> {
    await this.sagemaker.send(
      new CreateInferenceComponentCommand({
        InferenceComponentName: name,
        EndpointName: endpointName,
        VariantName: 'AllTraffic',
        Specification: {
          ModelName: model,
          Container: { Environment: { MAX_BATCH: '8' } },
          ComputeResourceRequirements: { NumberOfAcceleratorDevicesRequired: 1, MinMemoryRequiredInMb: 1024 },
        },
        RuntimeConfig: { CopyCount: copies },
      }),
    );
    await this.componentInService(name);
  }

  /** Waits until an inference component is InService (the SDK has no waiter for components). */
  async componentInService(name: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const c = await this.sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: name }));
      if (c.InferenceComponentStatus === 'InService') return;
      if (c.InferenceComponentStatus === 'Failed' || Date.now() > deadline) throw new Error(`inference component ${name} is ${c.InferenceComponentStatus}${c.FailureReason ? `: ${c.FailureReason}` : ''}`);
      await new Promise((r) => setTimeout(r, 20));
    }
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
