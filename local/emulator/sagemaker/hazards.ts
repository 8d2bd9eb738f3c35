/**
 * Hazards: deletions SageMaker accepts but its API reference says not to make, recorded so tests
 * can see them (`emulator.hazards()`, `GET /_emulator/hazards`).
 *
 * DeleteEndpointConfig of a config an endpoint uses is not refused: "You must not delete an
 * EndpointConfig in use by an endpoint that is live or while the UpdateEndpoint or CreateEndpoint
 * operations are being performed on the endpoint. If you delete the EndpointConfig of an endpoint
 * that is active or being created or updated you may lose visibility into the instance type the
 * endpoint is using." (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteEndpointConfig.html)
 * DeleteModel has no such check either (API_DeleteModel: it "deletes only the model entry").
 * So such a deletion succeeds, locally as on AWS, and is recorded here: one hazard per endpoint
 * that was using the resource at that moment.
 */
import { epochSeconds } from '../util';

export interface Hazard {
  operation: 'DeleteEndpointConfig' | 'DeleteModel';
  resourceType: 'EndpointConfig' | 'Model';
  resourceName: string;
  resourceArn: string;
  /** The endpoint that was using the resource, and its status then. */
  endpointName: string;
  endpointStatus: string;
  /** How the endpoint was using it, e.g. "current config", "model of variant AllTraffic on the current fleet". */
  usage: string[];
  /** Epoch seconds, as on the wire. */
  at: number;
}

/** What uses a config or model on one endpoint now. */
export interface Usage {
  endpointName: string;
  endpointStatus: string;
  usage: string[];
}

export class Hazards {
  private readonly list: Hazard[] = [];

  recordDeletion(operation: Hazard['operation'], resource: { type: Hazard['resourceType']; name: string; arn: string }, users: Usage[]): void {
    const at = epochSeconds(Date.now());
    for (const u of users) {
      this.list.push({ operation, resourceType: resource.type, resourceName: resource.name, resourceArn: resource.arn, ...u, usage: [...u.usage], at });
    }
  }

  view(): Hazard[] {
    return this.list.map((h) => ({ ...h, usage: [...h.usage] }));
  }
}
