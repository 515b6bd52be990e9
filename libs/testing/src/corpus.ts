import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** libs/testing/corpus/: the hostile-input corpus, the same from src/ and from dist/. */
export const CORPUS_DIR = fileURLToPath(new URL('../corpus/', import.meta.url));

/** One attack: its name and whatever fields its corpus file gives it. */
export type CorpusEntry = { readonly name: string } & Readonly<Record<string, unknown>>;

/**
 * The entries of `libs/testing/corpus/<file>`: one JSON value a line (an object with a `name`, or a
 * bare string, which becomes `{ name, value }`); blank lines and lines starting with `#` are skipped.
 * A new attack is one new line.
 */
export function readCorpus(file: string): CorpusEntry[] {
  const text = readFileSync(join(CORPUS_DIR, file), 'utf8');
  return text.split('\n').flatMap((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return [];
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (err) {
      throw new SyntaxError(`${file}:${i + 1}: not JSON`, { cause: err });
    }
    if (typeof value === 'string') return [{ name: JSON.stringify(value), value }];
    if (typeof value !== 'object' || value === null || typeof (value as { name?: unknown }).name !== 'string') {
      throw new SyntaxError(`${file}:${i + 1}: neither a string nor an object with a name`);
    }
    return [value as CorpusEntry];
  });
}

/**
 * A corpus template made concrete: `⟦repeat N|text⟧` becomes text N times (huge headers, deep
 * nesting; brackets no attack uses, since requests go out as Latin-1), then each `{NAME}` of `vars`
 * its value (an API key, an id).
 */
export function expandCorpus(template: string, vars: Readonly<Record<string, string>> = {}): string {
  const repeated = template.replace(/⟦repeat (\d+)\|([\s\S]*?)⟧/g, (_, n: string, text: string) =>
    text.repeat(Number(n)),
  );
  return repeated.replace(/\{([A-Z_]+)\}/g, (whole, name: string) => vars[name] ?? whole);
}
