import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/** schema/events.schema.json, compiled once: the check every published lifecycle event must pass. */
export const eventsSchema = JSON.parse(readFileSync(join(__dirname, '..', '..', 'schema', 'events.schema.json'), 'utf8')) as Record<string, unknown>;

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const validate = ajv.compile(eventsSchema);

/** The schema's complaints about an event: empty when it validates. */
export function schemaErrors(event: unknown): string[] {
  return validate(event) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
}
