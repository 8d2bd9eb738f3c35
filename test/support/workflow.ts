import { CONFIG_FILE_ENV } from '../../lambdas/shared/settings';
import { synthesizeTemplate, workflowFromTemplate, writeFunctionConfig, type SynthesizedWorkflow } from '../../local/template';

let cached: SynthesizedWorkflow | undefined;

/** The synthesized workflow of the app's own configuration (synthesized once per test file). */
export function synthesizedWorkflow(): SynthesizedWorkflow {
  cached ??= workflowFromTemplate(synthesizeTemplate());
  return cached;
}

/** Sets the environment the template gives the functions, and their bluegreen.json, as Lambda would. */
export function applyFunctionEnvironment(workflow: SynthesizedWorkflow): void {
  process.env[CONFIG_FILE_ENV] = writeFunctionConfig(workflow.config);
  for (const [key, value] of Object.entries(workflow.environment)) {
    if (key.startsWith('POWERTOOLS_')) continue; // tests keep Powertools quiet (test/setup-env.ts)
    process.env[key] = value;
  }
}
