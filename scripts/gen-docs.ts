/**
 * Regenerates what the repo ships for users from the code itself:
 * - schema/promotion-input.schema.json: JSON Schema of the execution input (console and API users);
 * - the workflow diagram in README.md, from the synthesized state machine;
 * - the emulator's control routes and faults in README.md (local/readme.ts);
 * - docs/dashboard.svg, a picture of the synthesized dashboard (local/dashboard-picture.ts).
 * test/infra/docs.test.ts fails when any of them is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promotionInputJsonSchema } from '../lambdas/shared/input';
import { stackDashboardPicture } from '../local/dashboard-picture';
import { mermaid, withDiagram } from '../local/diagram';
import { emulatorControlMarkdown, withSection } from '../local/readme';
import { synthesizeTemplate, workflowFromTemplate } from '../local/template';

const root = join(__dirname, '..');
writeFileSync(join(root, 'schema', 'promotion-input.schema.json'), `${JSON.stringify(promotionInputJsonSchema(), null, 2)}\n`);
const readmePath = join(root, 'README.md');
const workflow = workflowFromTemplate(synthesizeTemplate());
writeFileSync(
  readmePath,
  withSection(withDiagram(readFileSync(readmePath, 'utf8'), mermaid(workflow.definition as never)), 'emulator-control', emulatorControlMarkdown()),
);
writeFileSync(join(root, 'docs', 'dashboard.svg'), stackDashboardPicture(workflow.dashboards));
console.log('wrote schema/promotion-input.schema.json, the README workflow diagram and its emulator control section, docs/dashboard.svg');
