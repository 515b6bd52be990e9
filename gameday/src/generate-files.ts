#!/usr/bin/env node
// Writes the files generated from infra/slo/slos.yaml and gameday/experiments/ (src/generated-files.ts):
// `node gameday/dist/generate-files.js` after changing either; commit what it writes.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { K6_DIR, REPO_ROOT, generatedFiles } from './generated-files.js';

const files = await generatedFiles();
for (const [path, content] of files) {
  await mkdir(dirname(join(REPO_ROOT, path)), { recursive: true });
  await writeFile(join(REPO_ROOT, path), content);
  console.log(`wrote ${path}`);
}
// A script whose experiment is gone would run a workload no file describes any more.
for (const file of await readdir(join(REPO_ROOT, K6_DIR))) {
  if (file.endsWith('.js') && !files.has(`${K6_DIR}/${file}`)) {
    await rm(join(REPO_ROOT, K6_DIR, file));
    console.log(`removed ${K6_DIR}/${file}`);
  }
}
