import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseAppConfig } from '../../lib/config';
import { BlueGreenStack } from '../../lib/stack';
import { DETAIL_TYPES } from '../../lambdas/shared/lifecycle';
import { defaultLocalConfig } from '../../local/template';

const env = { account: '111122223333', region: 'us-east-1' };
const TOPIC_ARN = 'arn:aws:sns:us-east-1:111122223333:team-alerts';
const synth = (extra: Record<string, unknown> = {}) => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new BlueGreenStack(app, 'Obs', { config: parseAppConfig({ ...defaultLocalConfig(), ...extra }), env });
  return { app, stack, template: Template.fromStack(stack) };
};
const { template } = synth({ notifications: {} });
type Json = Record<string, unknown>;
const notifyRules = (t: Template) => Object.values(t.findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['sagemaker-bluegreen'] } } })) as Array<{ Properties: Json }>;

/**
 * EventBridge's input transformation (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html):
 * a placeholder inside a JSON string takes the value as text; a bare one takes its JSON value.
 */
function transform(transformer: { InputPathsMap: Record<string, string>; InputTemplate: string }, event: Json): unknown {
  const at = (path: string) => path.slice(2).split('.').reduce<unknown>((v, k) => (v as Json | undefined)?.[k], event);
  const template = transformer.InputTemplate;
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    const name = c === '<' ? /^<([^<>]+)>/.exec(template.slice(i))?.[1] : undefined;
    if (name !== undefined && name in transformer.InputPathsMap) {
      const value = at(transformer.InputPathsMap[name]!);
      out += inString ? JSON.stringify(String(value ?? '')).slice(1, -1) : JSON.stringify(value);
      i += name.length + 1;
      continue;
    }
    if (c === '"' && template[i - 1] !== '\\') inString = !inString;
    out += c;
  }
  return JSON.parse(out);
}

const sampleEvent = (detailType: string): Json => ({
  version: '0',
  id: 'event-1',
  'detail-type': detailType,
  source: 'sagemaker-bluegreen',
  detail: {
    endpointName: 'churn-prediction',
    promotionId: 'churn-prediction-v3-abc',
    strategy: 'guardrails',
    requestedBy: 'model-registry:approved:churn-models/3',
    green: { version: 3, modelPackageGroup: 'churn-models' },
    reason: 'GuardrailAlarm: guardrail alarm churn-5xx is in ALARM: "Threshold Crossed"',
    links: { execution: 'https://console/exec', endpoint: 'https://console/endpoint' },
    evidence: { greenLogs: { logGroup: '/aws/sagemaker/Endpoints/churn-prediction' } },
  },
});

describe('notifications', () => {
  test('GIVEN notifications on THEN the topic is encrypted with a rotated customer managed key that EventBridge may use, and takes TLS only', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'events.amazonaws.com' }, Action: ['kms:GenerateDataKey*', 'kms:Decrypt'] })]) },
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('NotificationKey'), 'Arn'] } });
  });

  test('GIVEN notifications on THEN the topic policy lets only EventBridge publish, for these rules only, and denies plain HTTP', () => {
    const [policy] = Object.values(template.findResources('AWS::SNS::TopicPolicy')) as Array<{ Properties: { PolicyDocument: { Statement: Json[] } } }>;
    const statements = policy!.Properties.PolicyDocument.Statement;
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toEqual([expect.objectContaining({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:Publish', Condition: { ArnEquals: { 'aws:SourceArn': expect.any(Array) } } })]);
    const sources = ((allows[0]!.Condition as Json).ArnEquals as Json)['aws:SourceArn'] as Array<{ 'Fn::GetAtt': string[] }>;
    expect(sources.map((s) => s['Fn::GetAtt'][0]).sort()).toEqual(Object.keys(template.findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['sagemaker-bluegreen'] } } })).sort());
    expect(statements.filter((s) => s.Effect === 'Deny')).toEqual([expect.objectContaining({ Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]);
  });

  test('GIVEN notifications on THEN one rule per lifecycle detail-type, on the lifecycle bus, for this state machine only, sends to the topic', () => {
    const rules = notifyRules(template);
    expect(rules.map((r) => (r.Properties.EventPattern as Json)['detail-type']).flat().sort()).toEqual(Object.values(DETAIL_TYPES).sort());
    for (const rule of rules) {
      expect(rule.Properties).toMatchObject({
        EventBusName: 'default',
        EventPattern: { resources: [{ Ref: expect.stringMatching(/PromotionStateMachine/) }] },
        Targets: [{ Arn: { Ref: expect.stringMatching(/NotificationTopic/) }, InputTransformer: expect.any(Object) }],
      });
    }
  });

  test('GIVEN a rollback event WHEN transformed THEN the message is a chat custom notification saying what, where, why and what next, with the links', () => {
    const rule = notifyRules(template).find((r) => JSON.stringify(r.Properties.EventPattern).includes(DETAIL_TYPES.rolledBack))!;
    const target = (rule.Properties.Targets as Array<{ InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string } }>)[0]!;

    const message = transform(target.InputTransformer, sampleEvent(DETAIL_TYPES.rolledBack)) as { content: { title: string; description: string; nextSteps: string[] }; metadata: Json };

    expect(message).toMatchObject({ version: '1.0', source: 'custom', id: 'event-1', content: { textType: 'client-markdown' }, metadata: { threadId: 'churn-prediction-v3-abc' } });
    expect(message.content.title).toBe('Rolled back: churn-prediction serves blue again');
    expect(message.content.description).toContain('Why: GuardrailAlarm: guardrail alarm churn-5xx is in ALARM: "Threshold Crossed"');
    expect(message.content.nextSteps).toEqual(expect.arrayContaining(['The evidence: `bluegreen status churn-prediction`', 'Execution: https://console/exec', 'Endpoint: https://console/endpoint']));
    expect(message.content.nextSteps.join('\n')).toContain('/aws/sagemaker/Endpoints/churn-prediction');
  });

  test('GIVEN an approval event WHEN transformed THEN the next steps are the approve and reject commands', () => {
    const rule = notifyRules(template).find((r) => JSON.stringify(r.Properties.EventPattern).includes(DETAIL_TYPES.approvalNeeded))!;
    const target = (rule.Properties.Targets as Array<{ InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string } }>)[0]!;
    const message = transform(target.InputTransformer, sampleEvent(DETAIL_TYPES.approvalNeeded)) as { content: { nextSteps: string[] } };
    expect(message.content.nextSteps).toEqual(expect.arrayContaining(['Go ahead: `bluegreen approve churn-prediction`', 'Stop it: `bluegreen reject churn-prediction --reason "…"`']));
  });

  test('GIVEN the events schema THEN every detail path a notice reads is required in its detail-type (a missing path would leave a blank)', () => {
    const schema = JSON.parse(readFileSync(join(__dirname, '../../schema/events.schema.json'), 'utf8')) as { allOf: Array<{ if: Json; then: Json }>; $defs: Record<string, Json> };
    const resolve = (node: Json): Json[] => {
      const ref = node.$ref as string | undefined;
      const own = ref ? resolve(schema.$defs[ref.replace('#/$defs/', '')]!) : [];
      return [node, ...own, ...((node.allOf as Json[] | undefined) ?? []).flatMap(resolve)];
    };
    const requires = (nodes: Json[], [head, ...rest]: string[]): boolean => {
      if (head === undefined) return true;
      if (!nodes.some((n) => ((n.required as string[] | undefined) ?? []).includes(head))) return false;
      return requires(nodes.flatMap((n) => ((n.properties as Record<string, Json> | undefined)?.[head] ? resolve((n.properties as Record<string, Json>)[head]!) : [])), rest);
    };
    const checked: string[] = [];
    for (const rule of notifyRules(template)) {
      const detailType = ((rule.Properties.EventPattern as Json)['detail-type'] as string[])[0]!;
      const branch = schema.allOf.find((b) => JSON.stringify(b.if).includes(`"${detailType}"`));
      // 'Approval Needed' is the approval gate's to define; a detail-type without a definition yet is not checked.
      if (!branch) continue;
      const detail = resolve(((branch.then.properties as Json).detail as Json));
      const paths = Object.values((rule.Properties.Targets as Array<{ InputTransformer: { InputPathsMap: Record<string, string> } }>)[0]!.InputTransformer.InputPathsMap).filter((p) => p.startsWith('$.detail.'));
      expect(paths.filter((p) => !requires(detail, p.slice('$.detail.'.length).split('.')))).toEqual([]);
      checked.push(detailType);
    }
    expect(checked.length).toBeGreaterThanOrEqual(7);
  });

  test('GIVEN an existing topic (cdk.json notifications.topicArn) THEN the rules send to it and no topic, key or topic policy is created', () => {
    const { template: t } = synth({ notifications: { topicArn: TOPIC_ARN } });
    t.resourceCountIs('AWS::SNS::Topic', 0);
    t.resourceCountIs('AWS::KMS::Key', 0);
    t.resourceCountIs('AWS::SNS::TopicPolicy', 0);
    const rules = notifyRules(t);
    expect(rules).toHaveLength(Object.values(DETAIL_TYPES).length);
    for (const r of rules) expect((r.Properties.Targets as Json[])[0]).toMatchObject({ Arn: TOPIC_ARN });
  });

  test('GIVEN no notifications, or enabled false THEN no topic and no notification rule', () => {
    for (const extra of [{}, { notifications: { enabled: false } }]) {
      const { template: t } = synth(extra);
      t.resourceCountIs('AWS::SNS::Topic', 0);
      expect(notifyRules(t)).toEqual([]);
    }
  });

  test('GIVEN a topic ARN that is not one WHEN synthesized THEN the configuration is refused naming the field', () => {
    expect(() => synth({ notifications: { topicArn: 'team-alerts' } })).toThrow(/bluegreen\.notifications\.topicArn: an SNS topic ARN/);
  });

  test('GIVEN notifications and the dashboard THEN no IAM role or policy changes (the topic policy names the rules; nothing is granted to a function)', () => {
    const { template: bare } = synth({ dashboard: false });
    const iam = (t: Template) => JSON.stringify([t.findResources('AWS::IAM::Role'), t.findResources('AWS::IAM::Policy')]);
    expect(iam(template)).toBe(iam(bare));
  });

  test('GIVEN notifications and the dashboard THEN cdk-nag AwsSolutions finds nothing unacknowledged', () => {
    const { app, stack } = synth({ notifications: {} });
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});

describe('dashboard', () => {
  test('GIVEN the defaults THEN one dashboard; GIVEN dashboard false (cdk.json) THEN none', () => {
    expect(Object.keys(template.findResources('AWS::CloudWatch::Dashboard'))).toHaveLength(1);
    expect(Object.keys(synth({ dashboard: false }).template.findResources('AWS::CloudWatch::Dashboard'))).toEqual([]);
  });

  test('GIVEN a managed endpoint THEN its row shows each variant and each endpoint config, and marks its promotions on the right axis', () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as Array<{ Properties: { DashboardBody: { 'Fn::Join': [string, unknown[]] } } }>;
    const body = JSON.parse(dashboard!.Properties.DashboardBody['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('')) as { widgets: Array<{ properties: { title?: string; metrics?: unknown[][] } }> };
    const widget = body.widgets.find((w) => w.properties.title === 'churn-prediction: model latency by endpoint config (guardrails: blue’s fleet beside green’s)')!;
    const rows = widget.properties.metrics!;
    expect(rows[0]).toEqual([expect.objectContaining({ expression: `SEARCH('{AWS/SageMaker,EndpointConfigName,EndpointName,VariantName} MetricName="ModelLatency" EndpointName="churn-prediction"', 'Average', 60)` })]);
    expect(rows.slice(1).map((r) => [r[5], (r.at(-1) as { yAxis?: string }).yAxis])).toEqual([['started', 'right'], ['shifted', 'right'], ['blueBack', 'right'], ['ended', 'right']]);
    expect(body.widgets.some((w) => w.properties.title === 'churn-prediction: invocations by variant (variant strategy: blue beside green)')).toBe(true);
  });
});
