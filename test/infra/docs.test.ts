import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promotionInputJsonSchema } from '../../lambdas/shared/input';
import { mermaid, withDiagram } from '../../local/diagram';
import { synthesizedWorkflow } from '../support/workflow';

const root = join(__dirname, '..', '..');

describe('shipped docs are generated from the code', () => {
  test('schema/promotion-input.schema.json is the JSON Schema of the zod input schema (run `npm run docs` if this fails)', () => {
    const committed = JSON.parse(readFileSync(join(root, 'schema', 'promotion-input.schema.json'), 'utf8')) as unknown;
    expect(committed).toEqual(promotionInputJsonSchema());
    expect(committed).toMatchObject({ required: ['endpointName', 'modelPackageArn'], additionalProperties: false });
  });

  test("README's workflow diagram is the synthesized definition's (run `npm run docs` if this fails)", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const diagram = mermaid(synthesizedWorkflow().definition as never);
    expect(withDiagram(readme, diagram)).toBe(readme);
    expect(diagram).toContain('RolledBack_ -->|yes| CleanupGreen');
  });
});
