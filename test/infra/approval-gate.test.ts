import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_FILE, ENV, type FunctionConfig } from '../../lambdas/shared/settings';
import { parseAppConfig, promotionProps } from '../../lib/config';
import { BlueGreenPromotion, type BlueGreenPromotionProps } from '../../lib/promotion';
import { ApprovalTimeoutAction } from '../../lib/props';
import { synthesizedWorkflow } from '../support/workflow';

/**
 * The approval gate in the template. Its states are always there, behind a Choice: the gate is per
 * input (or route, or stack default), which the definition cannot know at synth time, and one state
 * machine serves every input; a promotion without a gate passes one Choice and nothing else.
 */
const ROLE = 'arn:aws:iam::111122223333:role/SageMakerModelExecution';
const env = { account: '111122223333', region: 'us-east-1' };
const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });
type State = { Type: string; Resource?: string; TimeoutSecondsPath?: string; Next?: string; Default?: string; Choices?: Array<Record<string, unknown>>; Catch?: Array<{ ErrorEquals: string[]; Next: string; ResultPath?: string }>; Parameters?: Record<string, unknown> };
const states = synthesizedWorkflow().definition.States as Record<string, State>;

describe('approval gate states (synthesized definition)', () => {
  test('after green is validated and before the guardrails are armed (no traffic yet), a Choice enters the gate only when promotion.approval is set', () => {
    expect(states['FirstDeployment?']?.Default).toBe('ApprovalRequired?');
    const choice = states['ApprovalRequired?']!;
    expect(choice.Choices).toEqual([{ Variable: '$.promotion.approval', IsPresent: true, Next: 'AwaitApproval' }]);
    expect(choice.Default).toBe('ArmGuardrails');
  });

  test('no PutEvents state announces the gate: the approval-gate function publishes Approval Needed once it has parked the token (a state before the wait would announce a gate nobody can answer yet)', () => {
    expect(states).not.toHaveProperty('PublishApprovalNeeded');
    const detailTypes = Object.values(states).map((s) => JSON.stringify(s.Parameters ?? {}));
    expect(detailTypes.filter((p) => p.includes('Approval Needed'))).toEqual([]);
  });

  test('the wait is one callback task timed by the gate, its answer at $.approval; a rejection or an abort rolls back, its timeout goes to CheckApproval', () => {
    const wait = states.AwaitApproval!;
    expect(wait).toMatchObject({ Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', TimeoutSecondsPath: '$.promotion.approval.timeoutSeconds', ResultPath: '$.approval', Next: 'CheckApproval' });
    expect(wait.Parameters).toMatchObject({ Payload: { action: 'park', 'token.$': '$$.Task.Token', 'state.$': '$' } });
    const catches = wait.Catch!.map((c) => [c.ErrorEquals.join(','), c.Next]);
    expect(catches).toEqual([
      ['PromotionEnded', 'PromotionEnded'],
      ['OutsideChange', 'CleanupInterrupted'],
      ['States.Timeout', 'CheckApproval'],
      ['ApprovalRejected,GuardrailAlarm,PromotionAborted,UnexpectedEndpointState', 'RollBack'],
      ['States.ALL', 'RollBack'],
    ]);
    expect(states.CheckApproval).toMatchObject({ Next: 'ArmGuardrails', ResultPath: '$.approval' });
    expect(states.CheckApproval!.Catch!.map((c) => c.Next)).toContain('RollBack');
  });
});

describe('approval gate configuration', () => {
  const make = (props: Partial<BlueGreenPromotionProps>) => () =>
    new BlueGreenPromotion(new Stack(newApp(), 'S', { env }), 'P', { modelExecutionRoleArns: [ROLE], endpointNames: ['churn'], ...props });

  test('GIVEN a bad approval prop THEN the construct names the field and the fix', () => {
    expect(make({ approval: { timeoutSeconds: 10 } })).toThrow(/approval\.timeoutSeconds: must be at least 60/);
  });

  test('GIVEN a default gate that does not fit the execution timeout with the bake THEN refused, naming the approval wait', () => {
    expect(make({ approval: { timeoutSeconds: 7200 }, bakeDuration: Duration.hours(18) })).toThrow(/executionTimeout: 86400 s cannot fit a bake: a bake of 64800 s and an approval wait of 7200 s/);
  });

  test('GIVEN a default gate THEN it is accepted, and the gate function may read and update the lock only', () => {
    const stack = new Stack(newApp(), 'S', { env });
    new BlueGreenPromotion(stack, 'P', { modelExecutionRoleArns: [ROLE], endpointNames: ['churn'], approval: { timeoutSeconds: 1800, onTimeout: ApprovalTimeoutAction.PROMOTE } });
    const policies = Object.entries(Template.fromStack(stack).findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith('PApprovalGateRole'));
    const gateActions = policies.flatMap(([, p]) => (p as { Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[] }> } } }).Properties.PolicyDocument.Statement).flatMap((s) => [s.Action].flat());
    expect(gateActions.filter((a) => a.startsWith('dynamodb:')).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(gateActions.filter((a) => a.startsWith('sagemaker:') || a.startsWith('states:'))).toEqual([]);
  });

  type Statement = { Action: string | string[]; Resource: unknown };
  /** The gate function as synthesized: its role's statements, its environment and its bluegreen.json. */
  const synthGate = (props: Partial<BlueGreenPromotionProps> = {}, extra?: (stack: Stack) => Partial<BlueGreenPromotionProps>) => {
    const app = newApp();
    const stack = new Stack(app, 'S', { env });
    new BlueGreenPromotion(stack, 'P', { modelExecutionRoleArns: [ROLE], endpointNames: ['churn'], ...props, ...extra?.(stack) });
    const assembly = app.synth();
    const template = assembly.getStackByName('S').template as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    const resources = Object.entries(template.Resources);
    const statements = resources
      .filter(([id, r]) => r.Type === 'AWS::IAM::Policy' && id.startsWith('PApprovalGateRole'))
      .flatMap(([, r]) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    const fn = resources.find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('PApprovalGate'))![1].Properties;
    const key = (fn.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
    const config = JSON.parse(readFileSync(join(assembly.directory, `asset.${key}`, CONFIG_FILE), 'utf8')) as FunctionConfig;
    return {
      putEvents: statements.filter((st) => [st.Action].flat().includes('events:PutEvents')),
      eventActions: statements.flatMap((st) => [st.Action].flat()).filter((a) => a.startsWith('events:')),
      variables: (fn.Environment as { Variables: Record<string, unknown> }).Variables,
      settings: config.settings,
      template,
    };
  };

  test('GIVEN the default bus THEN the gate function may put events on the default bus only, and nothing else on EventBridge', () => {
    const gate = synthGate();
    expect(gate.putEvents).toHaveLength(1);
    expect(JSON.stringify(gate.putEvents[0]!.Resource)).toMatch(/:events:us-east-1:111122223333:event-bus\/default"/);
    expect(gate.eventActions).toEqual(['events:PutEvents']);
    expect(gate.settings.eventBusName).toBeUndefined();
  });

  test('GIVEN eventBusName THEN the gate function may put events on that bus only, named in its bluegreen.json settings', () => {
    const gate = synthGate({ eventBusName: 'ops-events' });
    const resources = JSON.stringify(gate.putEvents.map((st) => st.Resource));
    expect(gate.putEvents).toHaveLength(1);
    expect(resources).toMatch(/:events:us-east-1:111122223333:event-bus\/ops-events"/);
    expect(resources).not.toMatch(/default|\*/);
    expect(gate.settings.eventBusName).toBe('ops-events');
    expect(gate.variables).not.toHaveProperty(ENV.eventBusName);
  });

  test('GIVEN a bus made in the same app (its name a deploy-time token) THEN the gate function gets it in EVENT_BUS_NAME, and may put events on that bus only', () => {
    const gate = synthGate({}, (stack) => ({ eventBusName: new events.EventBus(stack, 'Ops').eventBusName }));
    const busId = Object.entries(gate.template.Resources).find(([, r]) => r.Type === 'AWS::Events::EventBus')![0];
    expect(gate.variables[ENV.eventBusName]).toEqual({ Ref: busId });
    expect(gate.settings.eventBusName).toBeUndefined();
    expect(gate.putEvents).toHaveLength(1);
    expect(JSON.stringify(gate.putEvents[0]!.Resource)).toContain(`"Ref":"${busId}"`);
  });

  test('GIVEN cdk.json approval THEN it becomes the construct prop; a bad one names its key', () => {
    const base = { endpointNames: ['churn'], modelExecutionRoleArns: [ROLE] };
    expect(promotionProps(parseAppConfig({ ...base, approval: { timeoutSeconds: 900, onTimeout: 'promote' } })).approval).toEqual({ timeoutSeconds: 900, onTimeout: 'promote' });
    expect(() => parseAppConfig({ ...base, approval: { onTimeout: 'ignore' } })).toThrow(/- bluegreen\.approval\.onTimeout: use "rollback"/);
  });

  test('GIVEN a route with an approval gate THEN cdk.json accepts it; a bad one names the group', () => {
    const base = { endpointNames: ['churn'], modelExecutionRoleArns: [ROLE] };
    const routed = (approval: unknown) => ({ ...base, modelPackageGroups: { 'churn-models': { endpoints: ['churn'], approval } } });
    expect(parseAppConfig(routed({ timeoutSeconds: 600 })).modelPackageGroups?.['churn-models']?.approval).toEqual({ timeoutSeconds: 600 });
    expect(() => parseAppConfig(routed({ timeoutSeconds: 5 }))).toThrow(/- bluegreen\.modelPackageGroups\.churn-models\.approval\.timeoutSeconds: must be at least 60/);
  });
});
