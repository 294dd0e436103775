let registered: Promise<void> | undefined;

/**
 * Lets this process import TypeScript files (a project's scenarios, subjects and config) through tsx's loader. Only
 * the compiled package needs it: under `tsx` (this repository's `pnpm chaos`) TypeScript already loads.
 */
export function useTypeScript(): Promise<void> {
  registered ??= import.meta.url.endsWith('.ts')
    ? Promise.resolve()
    : import('tsx/esm/api').then(({ register }) => void register());
  return registered;
}
