/**
 * Generic request validation driven by AWS's published API models
 * (`local/api-shapes.json`, extracted from botocore by scripts/extract-api-shapes.ts).
 *
 * Checks what the AWS front ends check before an operation runs: required
 * members, string length, regular-expression pattern, enum values, numeric
 * ranges, list/map sizes, recursively through structures, lists and maps.
 * Messages follow AWS's format, e.g.
 *   1 validation error detected: Value 'bad_name' at 'endpointName' failed to
 *   satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}
 * Type mismatches (a string where a number belongs) are reported as
 * SerializationException, as the JSON protocols do.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type ServiceKey = 'sagemaker' | 'runtime' | 'cloudwatch' | 'autoscaling' | 'events';

export interface ShapeRef {
  shape: string;
  location?: string;
  locationName?: string;
}
export interface Shape {
  type: string;
  required?: string[];
  members?: Record<string, ShapeRef>;
  member?: ShapeRef;
  key?: ShapeRef;
  value?: ShapeRef;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  /** Valid values the model states in the member's documentation only (scripts/extract-api-shapes.ts). */
  values?: number[];
  payload?: string;
}
export interface OperationModel {
  http?: { method?: string; requestUri?: string };
  input?: string;
  output?: string;
  errors: string[];
}
export interface ServiceModel {
  metadata: Record<string, unknown>;
  operations: Record<string, OperationModel>;
  shapes: Record<string, Shape>;
  outputShapes: Record<string, Shape>;
}
export interface ApiShapes {
  services: Record<ServiceKey, ServiceModel>;
}

let cached: ApiShapes | undefined;
/** The extracted API models (loaded once). */
export function apiShapes(): ApiShapes {
  if (!cached) {
    cached = JSON.parse(readFileSync(join(__dirname, '..', 'api-shapes.json'), 'utf8')) as ApiShapes;
  }
  return cached;
}

export function hasOperation(service: ServiceKey, operation: string): boolean {
  return Object.prototype.hasOwnProperty.call(apiShapes().services[service].operations, operation);
}

export function inputShape(service: ServiceKey, operation: string): Shape | undefined {
  const model = apiShapes().services[service];
  const name = model.operations[operation]?.input;
  return name ? model.shapes[name] : undefined;
}

// ---------------------------------------------------------------------------
// Java regex → JavaScript RegExp

const POSIX_CLASSES: Record<string, string> = {
  Print: '\\x20-\\x7E',
  ASCII: '\\x00-\\x7F',
  Alpha: 'a-zA-Z',
  Alnum: 'a-zA-Z0-9',
  Digit: '0-9',
  Lower: 'a-z',
  Upper: 'A-Z',
  Graph: '\\x21-\\x7E',
  Punct: '!-\\/:-@\\[-`{-~',
  Space: ' \\t\\n\\x0B\\f\\r',
  XDigit: '0-9a-fA-F',
};
const SYNTAX_CHARS = new Set(['^', '$', '\\', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '/']);

/**
 * Translates a botocore (Java) pattern into JavaScript source for a `u`-flag RegExp:
 * POSIX classes (\p{Print}, \p{ASCII}, ...) become ranges, \A and \z become ^ and $,
 * \Q...\E is quoted, identity escapes that Unicode mode rejects are unescaped, and a
 * quantified `$` (as in `(...)${1,128}`, legal in Java) loses its no-op quantifier.
 */
export function javaPatternToJs(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const n = pattern[i + 1] ?? '';
      if (n === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const lit = pattern.slice(i + 2, end === -1 ? undefined : end);
        out += lit.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end === -1 ? pattern.length : end + 1;
        continue;
      }
      if ((n === 'p' || n === 'P') && pattern[i + 2] === '{') {
        const close = pattern.indexOf('}', i + 3);
        const name = pattern.slice(i + 3, close);
        const posix = POSIX_CLASSES[name.replace(/^Is/, '')];
        if (posix !== undefined) {
          if (n === 'P') out += inClass ? '' : `[^${posix}]`;
          else out += inClass ? posix : `[${posix}]`;
        } else {
          out += pattern.slice(i, close + 1);
        }
        i = close;
        continue;
      }
      if (n === 'A') {
        out += '^';
        i++;
        continue;
      }
      if (n === 'z' || n === 'Z') {
        out += '$';
        i++;
        continue;
      }
      if (/[A-Za-z0-9]/.test(n) || SYNTAX_CHARS.has(n) || (inClass && n === '-')) {
        out += c + n;
      } else {
        out += n; // identity escape of a non-syntax character: Unicode mode wants it bare
      }
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (pattern[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (pattern[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '$') {
      const q = /^\{\d+(,\d*)?\}|^[*+?]/.exec(pattern.slice(i + 1));
      out += '$';
      if (q) i += q[0].length;
      continue;
    }
    out += c;
  }
  return out;
}

const regexCache = new Map<string, RegExp | null>();
/** Full-match RegExp for a botocore pattern (Java `String.matches` semantics), or null if untranslatable. */
export function compilePattern(pattern: string): RegExp | null {
  const hit = regexCache.get(pattern);
  if (hit !== undefined) return hit;
  const src = `^(?:${javaPatternToJs(pattern)})$`;
  let re: RegExp | null;
  try {
    re = new RegExp(src, 'u');
  } catch {
    try {
      re = new RegExp(src);
    } catch {
      process.stderr.write(`[emulator] cannot translate API pattern ${pattern}; not enforced\n`);
      re = null;
    }
  }
  regexCache.set(pattern, re);
  return re;
}

// ---------------------------------------------------------------------------
// Validation

export type ValidationResult =
  | { ok: true }
  | { ok: false; errorName: 'SerializationException'; message: string }
  | { ok: false; errorName: 'ValidationException'; message: string; issues: string[] };

const lcFirst = (s: string): string => (s.length > 0 ? s.charAt(0).toLowerCase() + s.slice(1) : s);

function render(v: unknown, shape: Shape | undefined): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number') {
    if (shape && (shape.type === 'float' || shape.type === 'double') && Number.isInteger(v)) return v.toFixed(1);
    return String(v);
  }
  if (Array.isArray(v)) return `'[${v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ')}]'`;
  if (typeof v === 'object') return `'${JSON.stringify(v)}'`;
  return `'${String(v)}'`;
}

function fmtBound(n: number, shape: Shape): string {
  return (shape.type === 'float' || shape.type === 'double') && Number.isInteger(n) ? n.toFixed(1) : String(n);
}

class Validator {
  readonly issues: string[] = [];
  serialization: string | undefined;
  constructor(private readonly shapes: Record<string, Shape>) {}

  private fail(value: unknown, shape: Shape | undefined, path: string, constraint: string): void {
    this.issues.push(`Value ${render(value, shape)} at '${path}' failed to satisfy constraint: ${constraint}`);
  }

  /** Scalar constraints shared by members and map keys/values; returns the constraint texts violated. */
  private scalarConstraints(value: unknown, shape: Shape): string[] {
    const out: string[] = [];
    if (typeof value === 'string' && shape.type === 'string') {
      if (shape.enum && !shape.enum.includes(value)) out.push(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
      if (shape.pattern !== undefined) {
        const re = compilePattern(shape.pattern);
        if (re && !re.test(value)) out.push(`Member must satisfy regular expression pattern: ${shape.pattern}`);
      }
      if (shape.min !== undefined && value.length < shape.min) out.push(`Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value.length > shape.max) out.push(`Member must have length less than or equal to ${shape.max}`);
    } else if (typeof value === 'number' && ['integer', 'long', 'float', 'double'].includes(shape.type)) {
      if (shape.min !== undefined && value < shape.min) out.push(`Member must have value greater than or equal to ${fmtBound(shape.min, shape)}`);
      if (shape.max !== undefined && value > shape.max) out.push(`Member must have value less than or equal to ${fmtBound(shape.max, shape)}`);
      if (shape.values && !shape.values.includes(value)) out.push(`Member must satisfy enum value set: [${shape.values.join(', ')}]`);
    }
    return out;
  }

  private typeOk(value: unknown, shape: Shape): boolean {
    switch (shape.type) {
      case 'string':
        return typeof value === 'string';
      case 'integer':
      case 'long':
        return typeof value === 'number' && Number.isInteger(value);
      case 'float':
      case 'double':
        return typeof value === 'number' || value === 'NaN' || value === 'Infinity' || value === '-Infinity';
      case 'boolean':
        return typeof value === 'boolean';
      case 'timestamp':
        return typeof value === 'number' || typeof value === 'string';
      case 'blob':
        return typeof value === 'string' || Buffer.isBuffer(value);
      case 'structure':
        return typeof value === 'object' && value !== null && !Array.isArray(value);
      case 'list':
        return Array.isArray(value);
      case 'map':
        return typeof value === 'object' && value !== null && !Array.isArray(value);
      default:
        return true;
    }
  }

  check(value: unknown, shapeName: string, path: string): void {
    const shape = this.shapes[shapeName];
    if (!shape || value === undefined || value === null) return;
    if (!this.typeOk(value, shape)) {
      this.serialization ??= `Unexpected value type for '${path || 'input'}': expected ${shape.type}`;
      return;
    }
    for (const c of this.scalarConstraints(value, shape)) this.fail(value, shape, path, c);
    if (shape.type === 'structure') {
      const obj = value as Record<string, unknown>;
      for (const req of shape.required ?? []) {
        if (obj[req] === undefined || obj[req] === null) {
          this.fail(null, undefined, join2(path, lcFirst(req)), 'Member must not be null');
        }
      }
      for (const [name, ref] of Object.entries(shape.members ?? {})) {
        if (obj[name] !== undefined && obj[name] !== null) this.check(obj[name], ref.shape, join2(path, lcFirst(name)));
      }
    } else if (shape.type === 'list') {
      const arr = value as unknown[];
      if (shape.min !== undefined && arr.length < shape.min) this.fail(arr, shape, path, `Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && arr.length > shape.max) this.fail(arr, shape, path, `Member must have length less than or equal to ${shape.max}`);
      const member = shape.member?.shape;
      if (member) arr.forEach((item, i) => this.check(item, member, `${path}.${i + 1}.member`));
    } else if (shape.type === 'map') {
      const entries = Object.entries(value as Record<string, unknown>);
      if (shape.min !== undefined && entries.length < shape.min) this.fail(value, shape, path, `Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && entries.length > shape.max) this.fail(value, shape, path, `Member must have length less than or equal to ${shape.max}`);
      const keyShape = shape.key ? this.shapes[shape.key.shape] : undefined;
      const valShape = shape.value ? this.shapes[shape.value.shape] : undefined;
      const keyIssues = new Set<string>();
      const valIssues = new Set<string>();
      for (const [k, v] of entries) {
        if (keyShape) for (const c of this.scalarConstraints(k, keyShape)) keyIssues.add(c);
        if (valShape && (valShape.type === 'structure' || valShape.type === 'list' || valShape.type === 'map')) {
          this.check(v, shape.value?.shape ?? '', `${path}.${k}`);
        } else if (valShape && v !== null && v !== undefined) {
          if (!this.typeOk(v, valShape)) this.serialization ??= `Unexpected value type for '${path}.${k}'`;
          else for (const c of this.scalarConstraints(v, valShape)) valIssues.add(c);
        }
      }
      if (keyIssues.size > 0) this.fail(value, shape, path, `Map keys must satisfy constraint: [${[...keyIssues].join(', ')}]`);
      if (valIssues.size > 0) this.fail(value, shape, path, `Map value must satisfy constraint: [${[...valIssues].join(', ')}]`);
    }
  }
}

const join2 = (a: string, b: string): string => (a ? `${a}.${b}` : b);

/** Validates an operation's input against its model; `input` uses the model's member names. */
export function validateInput(service: ServiceKey, operation: string, input: unknown): ValidationResult {
  const model = apiShapes().services[service];
  const inputName = model.operations[operation]?.input;
  if (!inputName) return { ok: true };
  const v = new Validator(model.shapes);
  v.check(input ?? {}, inputName, '');
  if (v.serialization) return { ok: false, errorName: 'SerializationException', message: v.serialization };
  if (v.issues.length === 0) return { ok: true };
  return { ok: false, errorName: 'ValidationException', message: formatIssues(v.issues), issues: v.issues };
}

export function formatIssues(issues: string[]): string {
  const n = issues.length;
  return `${n} validation error${n === 1 ? '' : 's'} detected: ${issues.join('; ')}`;
}
