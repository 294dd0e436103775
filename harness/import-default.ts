import { pathToFileURL } from 'node:url';

/**
 * A declaration file's default export. A TypeScript file in a project without `"type": "module"` is loaded as
 * CommonJS, where the export arrives wrapped (`{ default: { __esModule, default } }`): it is unwrapped here.
 */
export async function importDefault(file: string): Promise<unknown> {
  const declared = ((await import(pathToFileURL(file).href)) as { default?: unknown }).default;
  if (typeof declared === 'object' && declared !== null && '__esModule' in declared && 'default' in declared)
    return declared.default;
  return declared;
}
