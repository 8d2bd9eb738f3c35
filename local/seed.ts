import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
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

export class Seed {
  readonly sagemaker = new SageMakerClient({});

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

  /** Blue, deployed by hand: a model from the package, a one-variant config, an endpoint; waits for InService. */
  async blueEndpoint(endpointName: string, modelPackageArn: string, instanceCount = 2): Promise<void> {
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
  }
}
