import { ApplicationAutoScalingClient, PutScalingPolicyCommand, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
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
   */
  async blueEndpoint(endpointName: string, modelPackageArn: string, instanceCount = 2, options: { autoscaling?: boolean } = {}): Promise<void> {
    const model = `${endpointName}-handmade-model`;
    await this.sagemaker.send(new CreateModelCommand({ ModelName: model, ExecutionRoleArn: MODEL_ROLE, PrimaryContainer: { ModelPackageName: modelPackageArn } }));
    await this.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: `${endpointName}-handmade-config`,
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: model, InstanceType: 'ml.m5.large', InitialInstanceCount: instanceCount, InitialVariantWeight: 1 }],
        DataCaptureConfig: { EnableCapture: true, InitialSamplingPercentage: 20, DestinationS3Uri: 's3://capture/churn', CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }] },
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
