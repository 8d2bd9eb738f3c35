import { CONFIG_LIMITS, parseAppConfig } from '../../lib/config';
import { MAX_ALARM_NAMES, MAX_INLINE_BODY, MAX_SAMPLES } from '../../lambdas/shared/input';
import { MAX_ROUTE_ENDPOINTS } from '../../lambdas/shared/triggers';
import { appConfigWith, largestAppConfig, largestBodyChars } from '../support/largest-config';

type Config = ReturnType<typeof appConfigWith>;
type Route = Config['modelPackageGroups'][string];

const bodyChars = largestBodyChars();
const largest = () => appConfigWith(CONFIG_LIMITS.modelPackageGroups, bodyChars);
const firstGroup = (config: Config) => Object.keys(config.modelPackageGroups)[0]!;
const firstRoute = (config: Config): Route => config.modelPackageGroups[firstGroup(config)]!;

function refusal(config: unknown): string {
  try {
    parseAppConfig(config);
  } catch (error) {
    return (error as Error).message;
  }
  return 'accepted';
}

describe('the largest configuration the schema accepts', () => {
  test('GIVEN every list at its maximum and every route filling the input quota WHEN parsed THEN parseAppConfig accepts it', () => {
    const config = largestAppConfig() as Config;

    expect(refusal(config)).toBe('accepted');
    expect(Object.keys(config.modelPackageGroups)).toHaveLength(CONFIG_LIMITS.modelPackageGroups);
    expect(firstRoute(config).endpoints).toHaveLength(MAX_ROUTE_ENDPOINTS);
    expect(firstRoute(config).validation.samples).toHaveLength(MAX_SAMPLES);
  });

  test.each([0, MAX_SAMPLES - 1])('GIVEN the largest configuration WHEN the body of sample %i grows by one character THEN the route is refused for the promotion input limit', (sample) => {
    const config = largest();
    firstRoute(config).validation.samples[sample]!.body += 'b';

    expect(bodyChars).toBeGreaterThan(MAX_SAMPLES);
    expect(bodyChars).toBeLessThan(MAX_SAMPLES * MAX_INLINE_BODY);
    expect(refusal(config)).toMatch(new RegExp(`bluegreen\\.modelPackageGroups\\.${firstGroup(config)}\\.validation: every approval on this route would be refused: .*65536-byte`));
  });

  const oneMore: Array<[string, (config: Config) => void, RegExp]> = [
    ['endpointNames', (c) => c.endpointNames.push('endpoint-extra'), /bluegreen\.endpointNames: list at most 200 endpoint names/],
    ['modelExecutionRoleArns', (c) => c.modelExecutionRoleArns.push('arn:aws:iam::111122223333:role/extra'), /bluegreen\.modelExecutionRoleArns: list at most 20 model execution role ARNs/],
    ['guardrailAlarmNames', (c) => c.guardrailAlarmNames.push('extra-alarm'), new RegExp(`bluegreen\\.guardrailAlarmNames: list at most ${MAX_ALARM_NAMES} guardrail alarm names`)],
    ['validationPayloadBucketNames', (c) => c.validationPayloadBucketNames.push('extra-bucket'), /bluegreen\.validationPayloadBucketNames: list at most 50 validation payload buckets/],
    ['modelPackageGroups', (c) => (c.modelPackageGroups['extra-group'] = { ...firstRoute(c) }), /bluegreen\.modelPackageGroups: map at most 50 model package groups/],
    ['a route endpoints', (c) => firstRoute(c).endpoints.push(`${c.endpointNamePrefix}-extra`), /bluegreen\.modelPackageGroups\.group-0x*\.endpoints: map the group to at most 50 endpoints/],
    ['a route guardrailAlarmNames', (c) => firstRoute(c).guardrailAlarmNames.push('extra-alarm'), /bluegreen\.modelPackageGroups\.group-0x*\.guardrailAlarmNames: Too big: expected array to have <=50 items/],
    ['a route validation.samples', (c) => firstRoute(c).validation.samples.push({ name: 'extra', body: '{}', expectedStatus: 200 }), /bluegreen\.modelPackageGroups\.group-0x*\.validation\.samples: Too big: expected array to have <=50 items/],
  ];

  test.each(oneMore)('GIVEN the largest configuration WHEN %s gets one more element THEN it is refused naming the field', (_field, grow, message) => {
    const config = largest();
    grow(config);

    expect(refusal(config)).toMatch(message);
  });

  const oneLonger: Array<[string, (config: Config) => void, RegExp]> = [
    ['an endpoint name', (c) => (c.endpointNames[0] += 'x'), /bluegreen\.endpointNames\.0: an endpoint name \(SageMaker EndpointName\) is at most 63 characters/],
    ['endpointNamePrefix', (c) => (c.endpointNamePrefix += 'x'), /bluegreen\.endpointNamePrefix: .* is at most 41 characters/],
    ['a role ARN', (c) => (c.modelExecutionRoleArns[0] += 'x'), /bluegreen\.modelExecutionRoleArns\.0: an IAM role ARN is at most 2048 characters/],
    ['an alarm name', (c) => (c.guardrailAlarmNames[0] += 'x'), /bluegreen\.guardrailAlarmNames\.0: an alarm name \(CloudWatch AlarmName\) is at most 255 characters/],
    ['a bucket name', (c) => (c.validationPayloadBucketNames[0] += 'x'), /bluegreen\.validationPayloadBucketNames\.0: an S3 bucket name is at most 63 characters/],
    ['a route endpoint', (c) => (firstRoute(c).endpoints[0] += 'x'), /bluegreen\.modelPackageGroups\.group-0x*\.endpoints\.0: an endpoint name is at most 63 characters/],
    [
      'a model package group name',
      (c) => {
        const group = firstGroup(c);
        c.modelPackageGroups[`${group}x`] = firstRoute(c);
        delete c.modelPackageGroups[group];
      },
      /bluegreen\.modelPackageGroups\.group-0x{57}: a model package group name \(SageMaker ModelPackageGroupName\) is at most 63 characters/,
    ],
  ];

  test.each(oneLonger)('GIVEN the largest configuration WHEN %s gets one more character THEN it is refused naming the field', (_field, grow, message) => {
    const config = largest();
    grow(config);

    expect(refusal(config)).toMatch(message);
  });
});
