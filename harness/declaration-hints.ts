import type { z } from 'zod';
import { closest } from './suggest.js';

/** What a zod schema is, as far as suggestions need: its kind and the parts of its definition we walk. */
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  entries?: Record<string, string>;
  values?: unknown[];
  options?: z.ZodType[];
  discriminator?: string;
  element?: z.ZodType;
  valueType?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The schema without its wrappers (default, optional, a pipe into a transform): the one that reads the input. */
function unwrap(schema: z.ZodType): z.ZodType {
  const def = defOf(schema);
  if (def.innerType && ['default', 'optional', 'nullable', 'prefault', 'readonly', 'catch'].includes(def.type))
    return unwrap(def.innerType);
  if (def.type === 'pipe' && def.in) return unwrap(def.in);
  return schema;
}

/** The names a string may take where `schema` reads it: an enum's entries or a literal's values. */
function namesOf(schema: z.ZodType): string[] {
  const def = defOf(unwrap(schema));
  if (def.type === 'enum' && def.entries) return Object.values(def.entries);
  if (def.type === 'literal' && def.values) return def.values.filter((v): v is string => typeof v === 'string');
  return [];
}

/** Of a union's options, the one `input` most likely meant: its tag matches, or it knows the most of the input's keys. */
function optionFor(def: Def, input: unknown): z.ZodType | undefined {
  const options = def.options ?? [];
  if (def.discriminator !== undefined && isObject(input)) {
    return options.find((o) =>
      namesOf(defOf(unwrap(o)).shape?.[def.discriminator!] ?? o).includes(String(input[def.discriminator!])),
    );
  }
  if (!isObject(input)) return options.find((o) => defOf(unwrap(o)).type !== 'object');
  const known = (o: z.ZodType): number => Object.keys(input).filter((k) => k in (defOf(unwrap(o)).shape ?? {})).length;
  return options.filter((o) => defOf(unwrap(o)).type === 'object').sort((a, b) => known(b) - known(a))[0];
}

/** The schema that reads input[key], and that value. */
function child(schema: z.ZodType, input: unknown, key: PropertyKey): { schema: z.ZodType; input: unknown } | undefined {
  const s = unwrap(schema);
  const def = defOf(s);
  const value = (input as Record<PropertyKey, unknown> | undefined)?.[key];
  if (def.type === 'union') {
    const option = optionFor(def, input);
    return option ? child(option, input, key) : undefined;
  }
  if (def.type === 'object' && def.shape && typeof key === 'string' && def.shape[key])
    return { schema: def.shape[key], input: value };
  if (def.type === 'array' && def.element) return { schema: def.element, input: value };
  if (def.type === 'record' && def.valueType) return { schema: def.valueType, input: value };
  return undefined;
}

/** Strings in `input` that `schema` does not accept but that are close to one it does: [given, meant]. */
function nearMisses(schema: z.ZodType, input: unknown): [string, string][] {
  const s = unwrap(schema);
  const def = defOf(s);
  if (typeof input === 'string' && def.type !== 'union') {
    const names = namesOf(s);
    const meant = names.includes(input) ? undefined : closest(input, names);
    return meant === undefined ? [] : [[input, meant]];
  }
  if (def.type === 'union') {
    const option = optionFor(def, input);
    if (def.discriminator !== undefined && isObject(input) && !option) {
      const tags = (def.options ?? []).flatMap((o) => namesOf(defOf(unwrap(o)).shape?.[def.discriminator!] ?? o));
      const meant = closest(String(input[def.discriminator]), tags);
      return meant === undefined ? [] : [[String(input[def.discriminator]), meant]];
    }
    return option ? nearMisses(option, input) : [];
  }
  if (Array.isArray(input) || isObject(input)) {
    return Object.keys(input).flatMap((key) => {
      const next = child(s, input, Array.isArray(input) ? Number(key) : key);
      return next ? nearMisses(next.schema, next.input) : [];
    });
  }
  return [];
}

/** What the issue's path points at: the schema that read it and the input there (undefined if the walk loses it). */
function locate(
  schema: z.ZodType,
  input: unknown,
  path: readonly PropertyKey[],
): { schema: z.ZodType; input: unknown } | undefined {
  let at: { schema: z.ZodType; input: unknown } | undefined = { schema, input };
  for (const key of path) {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- child() returns undefined past the schema
    at = at && child(at.schema, at.input, key);
    if (!at) return undefined;
  }
  return at;
}

/**
 * "did you mean …" for one zod issue of a declaration, or "": the closest key for an unknown key, the misspelled
 * sibling of a missing key ("cout" for "count"), the closest name for an enum value, a tag or an event kind.
 */
export function suggestionFor(schema: z.ZodType, input: unknown, issue: z.core.$ZodIssue): string {
  const parentPath = issue.path.slice(0, -1);
  const parentInput = parentPath.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k], input);
  if (issue.code === 'unrecognized_keys') {
    const shape = defOf(unwrap(locate(schema, input, issue.path)?.schema ?? schema)).shape ?? {};
    const hints = issue.keys.flatMap((k) => {
      const meant = closest(k, Object.keys(shape));
      return meant === undefined ? [] : [`${issue.keys.length > 1 ? `"${k}": ` : ''}did you mean "${meant}"?`];
    });
    return hints.length > 0 ? `; ${hints.join(' ')}` : '';
  }
  const last = issue.path.at(-1);
  if (issue.code === 'invalid_type' && typeof last === 'string' && isObject(parentInput) && !(last in parentInput)) {
    const typo = closest(last, Object.keys(parentInput));
    return typo === undefined ? '' : `; did you mean "${last}" instead of "${typo}"?`;
  }
  const at = locate(schema, input, issue.path);
  // A bad tag loses the walk at its union: judge it from the object that holds it.
  const tag = at ? undefined : locate(schema, input, parentPath);
  const misses = at
    ? nearMisses(at.schema, at.input)
    : tag
      ? nearMisses(tag.schema, tag.input).filter(
          ([given]) => given === (parentInput as Record<PropertyKey, unknown>)[last!],
        )
      : [];
  return misses.length > 0 ? `; ${misses.map(([, meant]) => `did you mean "${meant}"?`).join(' ')}` : '';
}
