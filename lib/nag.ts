import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** cdk-nag's rendering of a resource in a finding id: Refs as <Name>, GetAtts as <Id.Attr>. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if ('Ref' in v) return `<${String(v.Ref)}>`;
    if ('Fn::GetAtt' in v) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::Join' in v) {
      const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(sep);
    }
  }
  return JSON.stringify(value);
}

/**
 * Acknowledges AwsSolutions-IAM5 for one wildcard resource, by the exact finding id cdk-nag
 * computes for it, so the acknowledgement covers that resource and nothing else.
 */
export function acknowledgeWildcard(scope: IConstruct, resource: string, reason: string): void {
  const id = `AwsSolutions-IAM5[Resource::${render(Stack.of(scope).resolve(resource))}]`;
  Validations.of(scope).acknowledge({ id, reason });
}
