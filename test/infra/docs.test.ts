import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promotionInputJsonSchema } from '../../lambdas/shared/input';
import { stackDashboardPicture } from '../../local/dashboard-picture';
import { mermaid, withDiagram } from '../../local/diagram';
import { emulatorControlMarkdown, withSection } from '../../local/readme';
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

  test("README's emulator control section is local/emulator's routes and faults (run `npm run docs` if this fails)", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(withSection(readme, 'emulator-control', emulatorControlMarkdown())).toBe(readme);
    expect(readme).toContain('| `variantErrors` | `{"endpointName":');
  });

  test("docs/dashboard.svg is the synthesized dashboard's picture, and the README shows it (run `npm run docs` if this fails)", () => {
    const { dashboards } = synthesizedWorkflow();
    const picture = stackDashboardPicture(dashboards);
    expect(readFileSync(join(root, 'docs', 'dashboard.svg'), 'utf8')).toBe(picture);
    const widgets = (JSON.parse(Object.values(dashboards)[0]!) as { widgets: unknown[] }).widgets;
    expect(picture.match(/<g data-widget=/g)).toHaveLength(widgets.length);
    expect(picture).toContain('PromotionMilestone · promotion blueBack');
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain('](docs/dashboard.svg)');
  });
});
