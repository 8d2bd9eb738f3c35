import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseAppConfig } from '../../lib/config';
import { STEPS, TRIGGERS } from '../../lib/functions';
import { BlueGreenPromotion, type BlueGreenPromotionProps } from '../../lib/promotion';
import { BlueGreenStack } from '../../lib/stack';
import { defaultLocalConfig } from '../../local/template';

const ROLE = 'arn:aws:iam::111122223333:role/SageMakerModelExecution';
const env = { account: '111122223333', region: 'us-east-1' };
const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

const app = newApp();
const stack = new BlueGreenStack(app, 'Test', { config: parseAppConfig(defaultLocalConfig()), env });
const template = Template.fromStack(stack);

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };
function statements(): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
  );
}
/** The statements of the policies attached to the role whose logical ID matches `role`. */
function statementsOf(role: RegExp): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify((p as { Properties: { Roles: unknown } }).Properties.Roles).match(role))
    .flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resources = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

describe('BlueGreenStack', () => {
  test('state machine is Standard, logs ALL to its own log group without execution data, and traces with X-Ray', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('PromotionStateMachineLogs'), 'Arn'] } } }],
      },
    });
  });

  test('every step and trigger is a Lambda on Node.js 24 / arm64 with active tracing, JSON logs to its own log group, and its step named in the environment', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions)).toHaveLength(STEPS.length + TRIGGERS.length);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.stringMatching(/Logs/) } },
        Environment: { Variables: expect.objectContaining({ BLUEGREEN_STEP: expect.any(String) }) },
      });
    }
    // Every function works with the lock/history table (the approval trigger too: it queues approvals for busy endpoints).
    const withoutTable = Object.values(functions)
      .map((fn) => (fn.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables)
      .filter((vars) => vars.TABLE_NAME === undefined)
      .map((vars) => vars.BLUEGREEN_STEP);
    expect(withoutTable).toEqual([]);
  });

  test('the history table is encrypted, point-in-time recoverable and retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        KeySchema: [
          { AttributeName: 'endpointName', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      },
    });
  });

  test('no SageMaker action that changes anything is granted on Resource *', () => {
    const mutating = /^sagemaker:(Create|Update|Delete|AddTags|InvokeEndpoint)/;
    const offenders = statements().filter((s) => actions(s).some((a) => mutating.test(a)) && resources(s).includes('*'));
    expect(offenders).toEqual([]);
    // and the writes name the managed endpoints
    const updates = statements().filter((s) => actions(s).includes('sagemaker:UpdateEndpointWeightsAndCapacities'));
    expect(updates.length).toBeGreaterThan(0);
    for (const s of updates) {
      expect(JSON.stringify(resources(s))).toMatch(/endpoint\/churn-prediction"/);
      expect(JSON.stringify(resources(s))).toMatch(/endpoint\/demo-\*"/);
    }
  });

  test('iam:PassRole only for the configured model execution role, only to SageMaker', () => {
    const passRole = statements().filter((s) => actions(s).includes('iam:PassRole'));
    expect(passRole).toEqual([
      expect.objectContaining({ Resource: ROLE, Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } } }),
    ]);
  });

  test('Application Auto Scaling writes only scalable targets, and the service-linked role is created only for SageMaker scaling', () => {
    const writes = statements().filter((s) => actions(s).some((a) => /^application-autoscaling:(Register|Put|Deregister)/.test(a)));
    expect(writes).toHaveLength(3); // shift-traffic, finalize, rollback
    for (const s of writes) expect(JSON.stringify(resources(s))).toMatch(/:application-autoscaling:us-east-1:111122223333:scalable-target\/\*"/);
    const linked = statements().filter((s) => actions(s).includes('iam:CreateServiceLinkedRole'));
    expect(linked).toHaveLength(3);
    for (const s of linked) {
      expect(JSON.stringify(s.Resource)).toMatch(/:iam::111122223333:role\/aws-service-role\/sagemaker\.application-autoscaling\.amazonaws\.com\/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"/);
      expect(s.Condition).toEqual({ StringEquals: { 'iam:AWSServiceName': 'sagemaker.application-autoscaling.amazonaws.com' } });
    }
  });

  test('model packages are described only in the configured groups', () => {
    const describe = statements().filter((s) => actions(s).includes('sagemaker:DescribeModelPackage'));
    for (const s of describe) expect(JSON.stringify(resources(s))).toMatch(/model-package\/churn-models\/\*/);
  });

  test('the definition rolls back from every step after the lock and ends in PromotionRolledBack', () => {
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    const json = JSON.stringify(machine!.Properties.DefinitionString);
    for (const state of ['DescribeBlue', 'CreateGreen', 'StandUpGreen', 'CheckGreenInService', 'ValidateGreen', 'ShiftTraffic', 'CheckGuardrails', 'Finalize']) {
      expect(json).toContain(`\\"${state}\\":{`);
    }
    expect(json).toContain('\\"Error\\":\\"PromotionRolledBack\\"');
    expect(json).toMatch(/\\"ErrorEquals\\":\[\\"ThrottlingException\\"/);
    expect(json).toContain('\\"JitterStrategy\\":\\"FULL\\"');
  });

  test('cdk-nag AwsSolutions finds nothing unacknowledged', () => {
    const nagApp = newApp();
    const nagStack = new BlueGreenStack(nagApp, 'Nag', { config: parseAppConfig(defaultLocalConfig()), env });
    const report = new AwsSolutionsChecks(nagApp).validateScope(nagStack);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});

describe('triggers', () => {
  test('approvals of the configured groups reach the approval function; alarms to ALARM reach the alarm function', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.sagemaker'],
        'detail-type': ['SageMaker Model Package State Change'],
        detail: { ModelPackageGroupName: ['churn-models'], ModelApprovalStatus: ['Approved', 'Rejected'] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('OnApproval'), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 8 } })],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { state: { value: ['ALARM'] } } },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('OnAlarm'), 'Arn'] } })],
    });
  });

  test('the trigger functions may only answer task tokens of this state machine, each only as it needs, and query only the sparse indexes', () => {
    const answering = statements().filter((s) => actions(s).some((a) => a.startsWith('states:SendTask')));
    for (const s of answering) expect(s.Resource).toEqual({ Ref: expect.stringMatching(/StateMachine/) });
    // The alarm trigger and the backstop fail tokens; the endpoint trigger completes them, and fails a baking one's on someone else's change.
    expect(statementsOf(/OnAlarmRole/).flatMap(actions).filter((a) => a.startsWith('states:'))).toEqual(['states:SendTaskFailure']);
    expect(statementsOf(/OnBackstopRole/).flatMap(actions).filter((a) => a.startsWith('states:')).sort()).toEqual(['states:SendTaskFailure', 'states:StartExecution']);
    expect(statementsOf(/OnEndpointChangeRole/).flatMap(actions).filter((a) => a.startsWith('states:')).sort()).toEqual(['states:SendTaskFailure', 'states:SendTaskSuccess']);
    const query = statements().filter((s) => actions(s).includes('dynamodb:Query'));
    // The locks in flight (the alarm and endpoint triggers, the backstop); the queue (the backstop alone). Never the table.
    const indexOf = (s: Statement) => /\/index\/(\w+)"/.exec(JSON.stringify(s.Resource))?.[1];
    expect(query.map(indexOf).sort()).toEqual(['InFlight', 'InFlight', 'InFlight', 'Queued']);
    expect(statementsOf(/OnBackstopRole/).filter((s) => actions(s).includes('dynamodb:Query')).map(indexOf).sort()).toEqual(['InFlight', 'Queued']);
  });

  test('the approval trigger queues on the table itself (never an index), fails task tokens only to roll back a rejected or superseded promotion, and starts executions of this state machine', () => {
    const own = statementsOf(/OnApprovalRole/);
    const dynamo = own.filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.flatMap(actions).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    for (const s of dynamo) expect(s.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/History/), 'Arn'] });
    expect(own.flatMap(actions).filter((a) => a.startsWith('states:')).sort()).toEqual(['states:DescribeExecution', 'states:SendTaskFailure', 'states:StartExecution']);
  });

  test('the first state reads the lock and records a refused start on the table itself: GetItem and PutItem only', () => {
    const dynamo = statementsOf(/ValidateInputRole/).filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.flatMap(actions).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    for (const s of dynamo) expect(s.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/History/), 'Arn'] });
  });

  test('a promotion\'s end, SUCCEEDED included, reaches on-execution-end, which may claim the queue item and start it', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.states'], 'detail-type': ['Step Functions Execution Status Change'], detail: { status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] } },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('OnExecutionEnd'), 'Arn'] } })],
    });
    const own = statementsOf(/OnExecutionEndRole/);
    expect(own.flatMap(actions).filter((a) => a.startsWith('dynamodb:')).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(own.flatMap(actions).filter((a) => a.startsWith('states:')).sort()).toEqual(['states:DescribeExecution', 'states:StartExecution']);
    // Read-only in SageMaker: is the version a promotion put live still approved (only the routed groups'), and which to move back to.
    expect(own.flatMap(actions).filter((a) => a.startsWith('sagemaker:')).sort()).toEqual(['sagemaker:DescribeModelPackage', 'sagemaker:ListModelPackages']);
    const describe = own.find((s) => actions(s).includes('sagemaker:DescribeModelPackage'))!;
    expect(resources(describe)).toHaveLength(1);
    expect(JSON.stringify(describe.Resource)).toMatch(/:model-package\/churn-models\/\*/);
  });

  test('settled state changes of the managed endpoints and their validation endpoints wake the InService waits', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.sagemaker'],
        'detail-type': ['SageMaker Endpoint State Change'],
        detail: {
          EndpointName: ['churn-prediction', { prefix: 'churn-prediction-' }, { prefix: 'demo-' }],
          EndpointStatus: ['IN_SERVICE', 'FAILED', 'OUT_OF_SERVICE', 'UPDATE_ROLLBACK_FAILED', 'DELETING'],
        },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('OnEndpointChange'), 'Arn'] } })],
    });
    // It reads the lock index and wakes; a baking promotion it judges (the endpoint, scalable targets) and, on someone
    // else's change, stops (the lock's flag, the bake's token). Nothing else: no SageMaker write.
    expect(statementsOf(/OnEndpointChangeRole/).flatMap(actions).filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:')).sort()).toEqual([
      'application-autoscaling:DescribeScalableTargets',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'sagemaker:DescribeEndpoint',
      'states:SendTaskFailure',
      'states:SendTaskSuccess',
    ]);
  });

  test("the bake's backstop runs every 5 minutes, reads alarms and only the managed endpoints, writes only the lock and the queue, and starts only this state machine", () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('OnBackstop'), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
    const own = statementsOf(/OnBackstopRole/);
    const describe = own.filter((s) => actions(s).includes('sagemaker:DescribeEndpoint'));
    expect(describe).toHaveLength(1);
    expect(JSON.stringify(resources(describe[0]!))).toMatch(/endpoint\/churn-prediction"/);
    expect(JSON.stringify(resources(describe[0]!))).not.toMatch(/endpoint\/\*"/);
    // Query on the indexes (above); item access on the table itself: the lock flagged, a queued approval noted, claimed, put back, recorded.
    const items = own.filter((s) => actions(s).some((a) => a.startsWith('dynamodb:') && a !== 'dynamodb:Query'));
    expect(items.flatMap(actions).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    for (const s of items) expect(s.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/History/), 'Arn'] });
    const start = own.filter((s) => actions(s).includes('states:StartExecution'));
    expect(start).toHaveLength(1);
    expect(start[0]!.Resource).toEqual({ Ref: expect.stringMatching(/StateMachine/) });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ BLUEGREEN_STEP: 'on-backstop', STATE_MACHINE_ARN: { Ref: Match.stringLikeRegexp('StateMachine') } }) },
    });
  });

  test('the table has two sparse indexes keyed on attributes only their items carry: the locks in flight and the queued approvals', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: Match.arrayWith([
        Match.objectLike({ IndexName: 'InFlight', KeySchema: [{ AttributeName: 'inFlight', KeyType: 'HASH' }, { AttributeName: 'endpointName', KeyType: 'RANGE' }] }),
        Match.objectLike({ IndexName: 'Queued', KeySchema: [{ AttributeName: 'queued', KeyType: 'HASH' }, { AttributeName: 'endpointName', KeyType: 'RANGE' }] }),
      ]),
    });
  });

  test('the wait steps park their tokens on the lock: UpdateItem on the table itself, never an index', () => {
    for (const role of [/AwaitEndpointRole/, /AwaitGuardrailsRole/, /CheckGuardrailsRole/]) {
      const writes = statementsOf(role).filter((s) => actions(s).includes('dynamodb:UpdateItem'));
      expect(writes).toHaveLength(1);
      expect(JSON.stringify(writes[0]!.Resource)).not.toMatch(/index/);
    }
  });
});

describe('BlueGreenPromotion props', () => {
  const make = (props: Partial<BlueGreenPromotionProps>) => () =>
    new BlueGreenPromotion(new Stack(newApp(), 'S', { env }), 'P', { modelExecutionRoleArns: [ROLE], endpointNames: ['churn'], ...props });

  test('GIVEN no endpoint names nor prefix THEN it says which props to set', () => {
    expect(make({ endpointNames: [] })).toThrow(/set endpointNames and\/or endpointNamePrefix/);
  });

  test('GIVEN several problems THEN all are reported at once, each with its fix', () => {
    expect(
      make({
        endpointNames: ['bad_name'],
        modelExecutionRoleArns: ['not-a-role'],
        pollInterval: Duration.hours(2),
        inServiceDeadline: Duration.minutes(1),
      }),
    ).toThrow(/endpointNames: "bad_name" is not a valid SageMaker endpoint name[\s\S]*modelExecutionRoleArns: "not-a-role" is not an IAM role ARN[\s\S]*pollInterval: 7200 s is out of range[\s\S]*inServiceDeadline: 60 s is shorter than pollInterval/);
  });

  test('GIVEN no model execution role THEN it refuses, since PassRole would have nothing to scope to', () => {
    expect(make({ modelExecutionRoleArns: [] })).toThrow(/modelExecutionRoleArns: give at least one role/);
  });

  test('GIVEN an execution timeout shorter than a bake and the waits THEN it refuses', () => {
    expect(make({ executionTimeout: Duration.hours(1) })).toThrow(/executionTimeout: 3600 s cannot fit a bake/);
  });

  test('GIVEN a bake over 18 hours THEN it refuses with the reason (the 24-hour timeout must hold the waits and a rollback)', () => {
    expect(make({ bakeDuration: Duration.hours(18) })).not.toThrow();
    expect(make({ bakeDuration: Duration.hours(19) })).toThrow(/bakeDuration: 68400 s is longer than 64800 s \(18 h\): the state machine's 24-hour timeout must also hold/);
  });

  test('GIVEN a longer execution timeout THEN a longer deadline fits, but not one whose rollback polling passes the history quota', () => {
    expect(make({ executionTimeout: Duration.hours(48), inServiceDeadline: Duration.hours(6) })).not.toThrow();
    // 2 × 6 h of rollback polls every 5 s: 8,643 polls × 9 events.
    expect(make({ executionTimeout: Duration.hours(48), inServiceDeadline: Duration.hours(6), pollInterval: Duration.seconds(5) })).toThrow(
      /pollInterval, inServiceDeadline: .*can write up to \d+ history events .*more than Step Functions' quota of 25000/,
    );
  });

  test('GIVEN approval routes without the execution-end rule THEN it refuses: nothing would start an approval queued behind a promotion', () => {
    expect(make({ recoverEndedExecutions: false, approvalRoutes: { g: { endpoints: ['churn'] } } })).toThrow(/recoverEndedExecutions: false removes the rule that starts an approval queued behind a running promotion/);
    expect(make({ recoverEndedExecutions: false })).not.toThrow();
  });

  test('GIVEN a backstop that is not whole minutes THEN it refuses (EventBridge schedules run at most every minute)', () => {
    expect(make({ bakeBackstop: Duration.seconds(90) })).toThrow(/bakeBackstop: 90 s is not a whole number of minutes/);
    expect(make({ bakeBackstop: Duration.minutes(2) })).not.toThrow();
  });
});

describe('app configuration (cdk.json "bluegreen")', () => {
  test('GIVEN a group mapped to an endpoint the stack does not manage THEN synth fails naming the entry', () => {
    expect(() =>
      parseAppConfig({ endpointNames: ['a'], modelExecutionRoleArns: [ROLE], modelPackageGroups: { g: { endpoints: ['b'] } } }),
    ).toThrow(/bluegreen\.modelPackageGroups\.g\.endpoints: "b" is not in endpointNames/);
  });

  test('GIVEN a wrong type or an unknown key THEN synth fails naming the path', () => {
    expect(() => parseAppConfig({ modelExecutionRoleArns: ROLE, bakeMinuets: 3 })).toThrow(/bluegreen\.modelExecutionRoleArns: .*[\s\S]*bluegreen: Unrecognized key: "bakeMinuets"/);
  });
});
