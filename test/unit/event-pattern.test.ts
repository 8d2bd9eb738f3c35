import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { matchesPattern } from '../../local/event-pattern';

const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'events', `${name}.json`), 'utf8')) as Record<string, unknown>;

describe('local EventBridge pattern matching (eb-create-pattern-operators)', () => {
  const approval = fixture('model_package_state_change');

  test('GIVEN the AWS sample model package event THEN source, detail-type and nested detail values match', () => {
    expect(matchesPattern(approval, { source: ['aws.sagemaker'], 'detail-type': ['SageMaker Model Package State Change'], detail: { ModelApprovalStatus: ['Rejected'] } })).toBe(true);
    expect(matchesPattern(approval, { source: ['aws.sagemaker'], detail: { ModelApprovalStatus: ['Approved'] } })).toBe(false);
    expect(matchesPattern(approval, { detail: { ModelPackageGroupName: ['other-group'] } })).toBe(false);
  });

  test('prefix, suffix, anything-but, exists, numeric and equals-ignore-case behave as documented', () => {
    const alarm = fixture('cloudwatch_alarm_state_change_single_metric');
    expect(matchesPattern(alarm, { detail: { alarmName: [{ prefix: 'Server' }] } })).toBe(true);
    expect(matchesPattern(alarm, { detail: { alarmName: [{ prefix: 'bluegreen-' }] } })).toBe(false);
    expect(matchesPattern(alarm, { detail: { alarmName: [{ suffix: 'TooHigh' }] } })).toBe(true);
    expect(matchesPattern(alarm, { detail: { state: { value: [{ 'anything-but': ['OK', 'INSUFFICIENT_DATA'] }] } } })).toBe(true);
    expect(matchesPattern(alarm, { detail: { state: { value: [{ 'anything-but': 'ALARM' }] } } })).toBe(false);
    expect(matchesPattern(alarm, { detail: { previousState: [{ exists: true }], nothing: [{ exists: false }] } })).toBe(true);
    expect(matchesPattern(approval, { detail: { ModelPackageVersion: [{ numeric: ['>=', 2, '<', 3] }] } })).toBe(true);
    expect(matchesPattern(approval, { detail: { ModelPackageVersion: [{ numeric: ['>', 2] }] } })).toBe(false);
    expect(matchesPattern(alarm, { detail: { alarmName: [{ 'equals-ignore-case': 'servercputoohigh' }] } })).toBe(true);
  });

  test('GIVEN an array in the event THEN any element matching is enough', () => {
    expect(matchesPattern(approval, { resources: [{ prefix: 'arn:aws:sagemaker:us-east-2:123456789012:model-package/' }] })).toBe(true);
  });
});
