/**
 * EventBridge event-pattern matching (content filtering), for the local event bus: no
 * standalone npm library implements it (only a serverless-offline plugin embeds one).
 * Supports exact values, `prefix`, `suffix`, `anything-but` (value, list or prefix),
 * `exists`, `numeric` and `equals-ignore-case`, arrays in the event matching when any element
 * matches — the operators of
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 */
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type EventPattern = { [key: string]: EventPattern | Json[] };

function matchesOne(value: Json | undefined, condition: Json): boolean {
  if (condition === null || typeof condition !== 'object' || Array.isArray(condition)) {
    return value === condition;
  }
  const [op, arg] = Object.entries(condition)[0] ?? [];
  switch (op) {
    case 'prefix':
      return typeof value === 'string' && typeof arg === 'string' && value.startsWith(arg);
    case 'suffix':
      return typeof value === 'string' && typeof arg === 'string' && value.endsWith(arg);
    case 'equals-ignore-case':
      return typeof value === 'string' && typeof arg === 'string' && value.toLowerCase() === arg.toLowerCase();
    case 'exists':
      return (value !== undefined) === arg;
    case 'anything-but': {
      if (value === undefined) return false;
      if (arg && typeof arg === 'object' && !Array.isArray(arg) && 'prefix' in arg) {
        return !(typeof value === 'string' && value.startsWith(String((arg as { prefix: Json }).prefix)));
      }
      const excluded: Json[] = Array.isArray(arg) ? arg : [arg ?? null];
      return !excluded.includes(value);
    }
    case 'numeric': {
      if (typeof value !== 'number' || !Array.isArray(arg)) return false;
      for (let i = 0; i < arg.length; i += 2) {
        const bound = Number(arg[i + 1]);
        const ok = { '<': value < bound, '<=': value <= bound, '=': value === bound, '>': value > bound, '>=': value >= bound }[String(arg[i])];
        if (!ok) return false;
      }
      return true;
    }
    default:
      throw new Error(`event pattern operator ${String(op)} is not supported by the local event bus`);
  }
}

function matchesField(value: Json | undefined, conditions: Json[]): boolean {
  const values = Array.isArray(value) ? value : [value];
  return conditions.some((c) => {
    if (c && typeof c === 'object' && !Array.isArray(c) && 'exists' in c) return matchesOne(value, c);
    return values.some((v) => matchesOne(v, c));
  });
}

export function matchesPattern(event: unknown, pattern: EventPattern): boolean {
  const object = (event ?? {}) as { [k: string]: Json };
  return Object.entries(pattern).every(([key, condition]) =>
    Array.isArray(condition) ? matchesField(object[key], condition) : matchesPattern(object[key] ?? {}, condition),
  );
}
