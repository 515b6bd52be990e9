#!/usr/bin/env node
// The game-day agent (`./lab console --gamedays`): see agent-server.ts. Listens on 127.0.0.1 only.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createAgentServer } from './agent-server.js';
import { GameRuns, spawnCli } from './game-runs.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const port = Number(process.env.GAMEDAY_AGENT_PORT ?? '8091');
const consolePort = process.env.CONSOLE_PORT ?? '8090';
const tokenFile = process.env.CONSOLE_TOKEN_FILE ?? `${root}.lab/secrets/console-token`;

function readToken(): string | undefined {
  try {
    return readFileSync(tokenFile, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function main(): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`gameday agent: GAMEDAY_AGENT_PORT must be 1..65535, got '${process.env.GAMEDAY_AGENT_PORT}'`);
    return 78;
  }
  const token = readToken();
  if (token === undefined || token === '') {
    console.error(`gameday agent: cannot read the console token (${tokenFile}); ./lab up makes it`);
    return 78;
  }
  const runs = new GameRuns(spawnCli(fileURLToPath(new URL('../cli.js', import.meta.url))));
  const server = createAgentServer({
    token,
    experimentsDir: `${root}gameday/experiments/`,
    reportsDir: `${root}reports/`,
    runs,
    origins: [`http://127.0.0.1:${consolePort}`, `http://localhost:${consolePort}`],
  });
  server.listen(port, '127.0.0.1', () => {
    console.log(
      `game-day agent on http://127.0.0.1:${port} for the console at http://127.0.0.1:${consolePort} (Ctrl-C stops it)`,
    );
  });
  // Ctrl-C: a running game day is interrupted first (its rollbacks run), then the agent ends.
  process.once('SIGINT', () => {
    server.close();
    if (runs.stop()) console.log('interrupting the running game day; its rollbacks run first');
  });
  process.once('SIGTERM', () => process.emit('SIGINT'));
  return 0;
}

process.exitCode = main();
