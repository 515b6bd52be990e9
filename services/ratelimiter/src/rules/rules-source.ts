import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from '@sdl/logging';
import { parseRules, RulesError, type RuleSet } from './rule-set.js';

export interface RulesSource {
  /** The rules in force. */
  current(): RuleSet;
  /** Re-reads the file now (also what the watcher and the poll call). */
  reload(): Promise<void>;
  close(): void;
}

export interface RulesSourceOptions {
  readonly file: string;
  readonly pollMs: number;
  readonly logger: Logger;
  /** Called after every reload attempt that saw changed content. */
  readonly onReload?: (result: 'applied' | 'rejected', errors: readonly string[]) => void;
}

function parseRulesText(file: string, text: string): RuleSet {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new RulesError([`${file}: not JSON: ${(err as Error).message}`]);
  }
  return parseRules(doc);
}

/**
 * A hot-reloaded rules file. The first load must succeed (the service will not start on bad rules);
 * later bad versions are rejected with every error logged and the previous rules stay in force.
 * It watches the directory (editors and ConfigMap updates replace the file by rename, which a
 * watch on the file itself would miss) and also polls, since fs.watch is unreliable on some mounts.
 */
export async function createRulesSource(options: RulesSourceOptions): Promise<RulesSource> {
  const { file, logger } = options;
  const log = logger.child({ component: 'rules', file });
  let text = await readFile(file, 'utf8');
  let rules = parseRulesText(file, text);
  log.info({ rules: rules.rules.length }, 'rules loaded');
  let loading: Promise<void> | undefined;

  const load = async (): Promise<void> => {
    let next: string;
    try {
      next = await readFile(file, 'utf8');
    } catch (err) {
      log.warn({ err }, 'rules file unreadable; keeping the previous rules');
      return;
    }
    if (next === text) return;
    text = next;
    try {
      rules = parseRulesText(file, next);
      log.info({ rules: rules.rules.length }, 'rules reloaded');
      options.onReload?.('applied', []);
    } catch (err) {
      const errors = err instanceof RulesError ? err.errors : [String(err)];
      log.error({ errors }, 'rules rejected; keeping the previous rules');
      options.onReload?.('rejected', errors);
    }
  };
  // One reload at a time; a burst of watch events collapses into the running one plus the poll.
  const reload = async (): Promise<void> => {
    loading ??= load().finally(() => {
      loading = undefined;
    });
    await loading;
  };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(file), (_event, name) => {
      if (name === null || name === basename(file)) void reload();
    });
    watcher.on('error', (err) => log.warn({ err }, 'rules watch failed; polling only'));
  } catch (err) {
    log.warn({ err }, 'cannot watch the rules directory; polling only');
  }
  const poll = setInterval(() => void reload(), options.pollMs);
  poll.unref();

  return {
    current: () => rules,
    reload,
    close() {
      clearInterval(poll);
      watcher?.close();
    },
  };
}
