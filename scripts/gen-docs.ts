/**
 * Regenerates what the repo ships for users from the code itself:
 * - schema/promotion-input.schema.json: JSON Schema of the execution input (console and API users);
 * - the workflow diagram in README.md, from the synthesized state machine.
 * test/infra/docs.test.ts fails when either is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promotionInputJsonSchema } from '../lambdas/shared/input';
import { mermaid, withDiagram } from '../local/diagram';
import { synthesizeTemplate, workflowFromTemplate } from '../local/template';

const root = join(__dirname, '..');
writeFileSync(join(root, 'schema', 'promotion-input.schema.json'), `${JSON.stringify(promotionInputJsonSchema(), null, 2)}\n`);
const readmePath = join(root, 'README.md');
const workflow = workflowFromTemplate(synthesizeTemplate());
writeFileSync(readmePath, withDiagram(readFileSync(readmePath, 'utf8'), mermaid(workflow.definition as never)));
console.log('wrote schema/promotion-input.schema.json and the README workflow diagram');
