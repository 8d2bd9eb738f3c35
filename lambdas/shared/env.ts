/** Reads a variable the construct always sets; a missing one is a deployment bug, so fail loudly. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`Environment variable ${name} is not set; the BlueGreenPromotion construct sets it on every function`);
  }
  return value;
}

export function optionalEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

export function jsonEnv<T>(name: string, fallback: T): T {
  const raw = optionalEnv(name);
  if (raw === undefined) return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch (cause) {
    throw new Error(`Environment variable ${name} is not valid JSON`, { cause });
  }
}
