import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { OnTooLittleTraffic } from '../../lib/props';
import { BlueGreenPromotion, type BlueGreenPromotionProps } from '../../lib/promotion';

/** Issue 12 item 4: the construct's bake traffic guard (props, validated once) and the permission it needs. */
const ROLE = 'arn:aws:iam::111122223333:role/SageMakerModelExecution';
const env = { account: '111122223333', region: 'us-east-1' };
const newStack = () => new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S', { env });
const make = (props: Partial<BlueGreenPromotionProps>) => () => new BlueGreenPromotion(newStack(), 'P', { modelExecutionRoleArns: [ROLE], endpointNames: ['churn'], ...props });

describe('BlueGreenPromotion bakeTraffic props', () => {
  test('GIVEN a valid guard (rollback, or extend with its default extension) THEN it is accepted', () => {
    expect(make({ bakeTraffic: { minInvocations: 100 } })).not.toThrow();
    expect(make({ bakeTraffic: { minInvocations: 100, onTooLittleTraffic: OnTooLittleTraffic.EXTEND } })).not.toThrow();
  });

  test('GIVEN minInvocations 0 or a fraction THEN it names the field and the fix', () => {
    expect(make({ bakeTraffic: { minInvocations: 0 } })).toThrow(/bakeTraffic\.minInvocations: minInvocations must be at least 1 \(omit bakeTraffic to watch no traffic\)/);
    expect(make({ bakeTraffic: { minInvocations: 2.5 } })).toThrow(/bakeTraffic\.minInvocations: /);
  });

  test('GIVEN an extension under a minute THEN it says the least it may be', () => {
    expect(make({ bakeTraffic: { minInvocations: 10, onTooLittleTraffic: OnTooLittleTraffic.EXTEND, extendSeconds: 30 } })).toThrow(/bakeTraffic\.extendSeconds: extendSeconds must be at least 60/);
  });

  test('GIVEN an action that is not extend or rollback (a JavaScript caller) THEN it lists both', () => {
    expect(make({ bakeTraffic: { minInvocations: 10, onTooLittleTraffic: 'wait' as OnTooLittleTraffic } })).toThrow(/bakeTraffic\.onTooLittleTraffic: onTooLittleTraffic must be "extend" .* or "rollback"/);
  });

  test('GIVEN extensions that would not fit the execution timeout THEN the bake with both extensions is refused, not the bake alone', () => {
    // 18 h bake: fits 24 h; with two 1-hour extensions it does not.
    expect(make({ bakeDuration: Duration.hours(18), bakeTraffic: { minInvocations: 10, onTooLittleTraffic: OnTooLittleTraffic.ROLLBACK, extendSeconds: 3600 } })).not.toThrow();
    expect(make({ bakeDuration: Duration.hours(18), bakeTraffic: { minInvocations: 10, onTooLittleTraffic: OnTooLittleTraffic.EXTEND, extendSeconds: 3600 } })).toThrow(/executionTimeout: 86400 s cannot fit a bake/);
  });

  test('GIVEN several problems THEN all are reported at once', () => {
    expect(make({ endpointNames: ['bad_name'], bakeTraffic: { minInvocations: 0, onTooLittleTraffic: OnTooLittleTraffic.EXTEND, extendSeconds: 10 } })).toThrow(
      /endpointNames: "bad_name"[\s\S]*bakeTraffic\.minInvocations: [\s\S]*bakeTraffic\.extendSeconds: /,
    );
  });
});

describe('the traffic guard\'s permission', () => {
  const stack = newStack();
  new BlueGreenPromotion(stack, 'P', { modelExecutionRoleArns: [ROLE], endpointNames: ['churn'], bakeTraffic: { minInvocations: 10 } });
  type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };
  const policies = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')) as Array<{ Properties: { Roles: unknown; PolicyDocument: { Statement: Statement[] } } }>;
  const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
  const granting = (action: string) => policies.filter((p) => p.Properties.PolicyDocument.Statement.some((s) => actions(s).includes(action)));

  // The Service Authorization Reference lists no resource type and no condition key for
  // cloudwatch:GetMetricStatistics (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html):
  // "*" is the only resource it takes, so the narrowest grant is one action, to one role.
  test('GIVEN the guard reads green\'s Invocations THEN only check-guardrails may call GetMetricStatistics, and no other metric read comes with it', () => {
    const holders = granting('cloudwatch:GetMetricStatistics');
    expect(holders.map((p) => JSON.stringify(p.Properties.Roles))).toEqual([expect.stringMatching(/CheckGuardrails/)]);
    const statement = holders[0]!.Properties.PolicyDocument.Statement.find((s) => actions(s).includes('cloudwatch:GetMetricStatistics'))!;
    expect(statement.Resource).toBe('*');
    expect(actions(statement).filter((a) => a.startsWith('cloudwatch:')).sort()).toEqual(['cloudwatch:DescribeAlarms', 'cloudwatch:GetMetricStatistics']);
    expect(holders.flatMap((p) => p.Properties.PolicyDocument.Statement).flatMap(actions)).not.toEqual(expect.arrayContaining([expect.stringMatching(/^cloudwatch:(\*|GetMetricData|ListMetrics)$/)]));
  });
});
