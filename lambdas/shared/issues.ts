import * as z from 'zod/mini';
import { en } from 'zod/locales';

/**
 * zod/mini ships without messages ("Invalid input" for every problem); these are the English ones
 * classic zod sets on import, the words users see (e.g. `Too big: expected number to be <=50`).
 * Every module that declares a run-time schema imports this one, so the locale is set before any parse.
 */
z.config(en());

/**
 * A zod error as one line naming each field and what is wrong with it. Its own module so that a
 * function parsing a small event schema does not build the whole promotion input schema of
 * input.ts at cold start. Accepts classic zod's errors too (lib/config.ts).
 */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.length > 0 ? issue.path.join('.') : '(input)';
      return `${field}: ${issue.message}`;
    })
    .join('; ');
}
