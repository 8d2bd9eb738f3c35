import type { ZodError } from 'zod';

/**
 * A zod error as one line naming each field and what is wrong with it. Its own module (types
 * only from zod) so that a function parsing a small event schema does not build the whole
 * promotion input schema of input.ts at cold start.
 */
export function describeIssues(error: ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.length > 0 ? issue.path.join('.') : '(input)';
      return `${field}: ${issue.message}`;
    })
    .join('; ');
}
