import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parseAppConfig } from '../../lib/config';
import { BlueGreenPromotion } from '../../lib/promotion';
import { BlueGreenStack } from '../../lib/stack';
import { DETAIL_TYPES, EVENT_SOURCE } from '../../lambdas/shared/lifecycle';
import { defaultLocalConfig } from '../../local/template';
import { eventsSchema, schemaErrors } from '../support/events-schema';

const env = { account: '111122223333', region: 'us-east-1' };
const synth = (extra: Record<string, unknown> = {}) => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return Template.fromStack(new BlueGreenStack(app, 'Test', { config: parseAppConfig({ ...defaultLocalConfig(), ...extra }), env }));
};
type State = { Type: string; Resource?: string; ResultPath?: unknown; Parameters?: { Entries?: Array<Record<string, unknown>> }; Catch?: Array<{ ErrorEquals: string[]; ResultPath?: unknown }> };
function states(template: Template): Record<string, State> {
  const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0] as { Properties: { DefinitionString: unknown } };
  // Tokens (the region, function ARNs) stay as CloudFormation objects: join their literal parts only.
  const text = JSON.stringify(machine.Properties.DefinitionString);
  const joined = (JSON.parse(text) as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return (JSON.parse(joined) as { States: Record<string, State> }).States;
}
const PUT_EVENTS = /^arn:[^:]+:states:::events:putEvents$/;
const putEventsStatements = (template: Template) =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Array<{ Action: unknown; Resource: unknown }> } } }).Properties.PolicyDocument.Statement)
    .filter((s) => JSON.stringify(s.Action).includes('events:PutEvents'));

describe('lifecycle events (PutEvents states)', () => {
  const template = synth();
  const all = states(template);
  const publishing = Object.entries(all).filter(([, s]) => PUT_EVENTS.test(s.Resource ?? ''));

  test('a PutEvents state for each lifecycle event of a promotion, each with the source and its detail-type (Approval Needed is the approval gate\'s)', () => {
    expect(Object.fromEntries(publishing.map(([name, s]) => [name, s.Parameters?.Entries?.[0]?.DetailType]))).toMatchObject({
      PublishStarted: DETAIL_TYPES.started,
      PublishGreenValidated: DETAIL_TYPES.validated,
      PublishTrafficShifted: DETAIL_TYPES.shifted,
      PublishSucceeded: DETAIL_TYPES.succeeded,
      PublishRolledBack: DETAIL_TYPES.rolledBack,
      PublishFailed: DETAIL_TYPES.failed,
      PublishInterrupted: DETAIL_TYPES.interrupted,
    });
    for (const [, s] of publishing) expect(s.Parameters?.Entries?.[0]?.Source).toBe(EVENT_SOURCE);
  });

  test('a PutEvents state never changes the state document and a failure to publish is caught, going on where success goes', () => {
    for (const [name, s] of publishing) {
      expect({ name, resultPath: s.ResultPath }).toEqual({ name, resultPath: null });
      expect({ name, catches: s.Catch }).toEqual({ name, catches: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: (s as { Next?: string }).Next }] });
    }
  });

  test('default bus: no EventBusName in the entries, and events:PutEvents is allowed on the default bus ARN only', () => {
    expect(publishing.length).toBeGreaterThanOrEqual(7);
    for (const [, s] of publishing) expect(s.Parameters?.Entries?.[0]).not.toHaveProperty('EventBusName');
    const statements = putEventsStatements(template);
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      expect(s.Action).toBe('events:PutEvents');
      expect(JSON.stringify(s.Resource)).toMatch(/:event-bus\/default"/);
      expect(JSON.stringify(s.Resource)).not.toContain('*');
    }
  });

  test('bluegreen.eventBusName: every entry goes to that bus and events:PutEvents is scoped to its ARN', () => {
    const custom = synth({ eventBusName: 'ops-events' });
    for (const [, s] of Object.entries(states(custom)).filter(([, s]) => PUT_EVENTS.test(s.Resource ?? ''))) {
      expect(s.Parameters?.Entries?.[0]?.EventBusName).toMatch(/^arn:[^:]+:events:us-east-1:111122223333:event-bus\/ops-events$/);
    }
    // Two statements: the state machine's and the approval gate function's (it publishes Approval Needed once its token is parked).
    const resources = putEventsStatements(custom).map((s) => s.Resource);
    expect(resources).toEqual([expect.anything(), expect.anything()]);
    for (const resource of resources) expect(JSON.stringify(resource)).toMatch(/event-bus\/ops-events/);
    expect(JSON.stringify(resources)).not.toMatch(/default|\*/);
  });

  test('an event bus ARN (or a malformed name) is refused with the field and the fix, in cdk.json and in the props', () => {
    expect(() => parseAppConfig({ ...defaultLocalConfig(), eventBusName: 'arn:aws:events:us-east-1:111122223333:event-bus/x' })).toThrow(/bluegreen\.eventBusName: .*the name, not the ARN/);
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    expect(
      () => new BlueGreenPromotion(new BlueGreenStack(app, 'S', { config: parseAppConfig(defaultLocalConfig()), env }), 'P', { endpointNames: ['a'], modelExecutionRoleArns: ['arn:aws:iam::111122223333:role/r'], eventBusName: 'bus with spaces' }),
    ).toThrow(/eventBusName: "bus with spaces" is not an event bus name/);
  });
});

describe('the evidence a rollback event points at', () => {
  const template = synth();
  type Statement = { Action: string | string[]; Resource: unknown };
  const statementsOf = (role: RegExp): Statement[] =>
    Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify((p as { Properties: { Roles: unknown } }).Properties.Roles).match(role))
      .flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
  const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

  test('validate-green leaves its failing samples on the lock: GetItem and UpdateItem on the table itself, never an index, nothing else of DynamoDB', () => {
    const dynamo = statementsOf(/ValidateGreenRole/).filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.flatMap(actions).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    for (const s of dynamo) expect(s.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/History/), 'Arn'] });
  });
});

describe('schema/events.schema.json', () => {
  const valid = {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': DETAIL_TYPES.started,
    source: EVENT_SOURCE,
    account: '111122223333',
    time: '2026-12-01T10:00:00Z',
    region: 'us-east-1',
    resources: ['arn:aws:states:us-east-1:111122223333:execution:sm:p-1'],
    detail: {
      endpointName: 'churn-prediction',
      promotionId: 'p-1',
      executionArn: 'arn:aws:states:us-east-1:111122223333:execution:sm:p-1',
      strategy: 'guardrails',
      requestedBy: 'cli',
      green: { modelPackageArn: 'arn:aws:sagemaker:us-east-1:111122223333:model-package/churn-models/4', modelPackageGroup: 'churn-models', version: 4 },
      links: { execution: 'https://us-east-1.console.aws.amazon.com/states/home', endpoint: 'https://us-east-1.console.aws.amazon.com/sagemaker/home' },
      timings: { startedAt: '2026-12-01T09:59:58Z', at: '2026-12-01T10:00:00Z' },
      bakeSeconds: 1800,
    },
  };

  test('names exactly the detail-types of lambdas/shared/lifecycle.ts', () => {
    expect(((eventsSchema.properties as Record<string, { enum?: string[] }>)['detail-type']!.enum ?? []).sort()).toEqual(Object.values(DETAIL_TYPES).sort());
  });

  test('accepts a well-formed Promotion Started event', () => {
    expect(schemaErrors(valid)).toEqual([]);
  });

  test('defines Approval Needed as the approval gate publishes it: the deadline, the samples and the commands, all required', () => {
    const { bakeSeconds: _started, ...common } = valid.detail;
    const detail = {
      ...common,
      approval: { timeoutSeconds: 3600, onTimeout: 'rollback', requestedAt: '2026-12-01T10:00:00Z' },
      validation: { samples: [{ name: 'typical-customer', ok: true, latencyMs: 42, status: 200 }] },
      commands: { approve: 'bluegreen approve churn-prediction', reject: 'bluegreen reject churn-prediction --reason "<why>"' },
    };
    const needed = { ...valid, 'detail-type': DETAIL_TYPES.approvalNeeded, detail };
    expect(schemaErrors(needed)).toEqual([]);
    const { commands: _commands, ...withoutCommands } = detail;
    expect(schemaErrors({ ...needed, detail: withoutCommands })).not.toEqual([]);
    expect(schemaErrors({ ...needed, detail: { ...detail, approval: { ...detail.approval, onTimeout: 'wait' } } })).not.toEqual([]);
  });

  test.each([
    ['a missing promotionId', { ...valid, detail: { ...valid.detail, promotionId: undefined } }],
    ['an unknown field in the detail', { ...valid, detail: { ...valid.detail, surprise: true } }],
    ['another source', { ...valid, source: 'aws.states' }],
    ['a terminal detail-type without its outcome fields', { ...valid, 'detail-type': DETAIL_TYPES.rolledBack }],
    ['a version that is not a number', { ...valid, detail: { ...valid.detail, green: { ...valid.detail.green, version: 'four' } } }],
  ])('rejects an event with %s', (_what, event) => {
    expect(schemaErrors(JSON.parse(JSON.stringify(event)))).not.toEqual([]);
  });
});
