/**
 * Lifecycle events every promotion publishes to EventBridge (issue 12): the source and the
 * detail-types, shared by the state machine's PutEvents states, the approval gate (it publishes
 * Approval Needed itself, once its token is parked), the notification rule, the
 * dashboard, the JSON Schema (schema/events.schema.json) and the tests.
 */
export const EVENT_SOURCE = 'sagemaker-bluegreen';

export const DETAIL_TYPES = {
  started: 'Promotion Started',
  validated: 'Green Validated',
  approvalNeeded: 'Approval Needed',
  shifted: 'Traffic Shifted',
  succeeded: 'Promotion Succeeded',
  rolledBack: 'Promotion Rolled Back',
  failed: 'Promotion Failed',
  interrupted: 'Promotion Interrupted',
} as const;
export type LifecycleDetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];

/**
 * The console pages every event links to, with `{}` where the execution's ARN or the endpoint's name
 * goes: the state machine fills them with States.Format (lib/events.ts), the approval gate with
 * `fillLink`. The standard partition's console (GovCloud and China have their own console hosts).
 */
export function consoleLinkTemplates(region: string): { execution: string; endpoint: string } {
  const host = `https://${region}.console.aws.amazon.com`;
  return {
    execution: `${host}/states/home?region=${region}#/v2/executions/details/{}`,
    endpoint: `${host}/sagemaker/home?region=${region}#/endpoints/{}`,
  };
}

export const fillLink = (template: string, value: string): string => template.replace('{}', value);

/** Step Functions appends these to the resources of every event its PutEvents states publish: the execution and its state machine. */
export function executionResources(executionArn: string): string[] {
  // arn:<partition>:states:<region>:<account>:execution:<state machine>:<execution name>
  const parts = executionArn.split(':');
  if (parts.length !== 8 || parts[5] !== 'execution') return [executionArn];
  return [executionArn, [...parts.slice(0, 5), 'stateMachine', parts[6]].join(':')];
}
