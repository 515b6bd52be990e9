import { execFileSync } from 'node:child_process';
import { lab, labPath } from './lab.js';

// Brings the compose cluster up once per run (images must exist: `./lab test` prepares them) and
// takes it down afterwards, unless it was already running before the run (then it is left running).
// `lab start` runs even then: compose recreates only the containers whose image or config changed,
// so the tests always meet the code just built.
export default function setup(): () => void {
  const running = clusterRunning();
  lab(['start'], { stdio: 'inherit', timeoutMs: 300_000 });
  return () => {
    if (!running && process.env.LAB_KEEP_CLUSTER !== '1') lab(['down'], { stdio: 'inherit', timeoutMs: 120_000 });
  };
}

function clusterRunning(): boolean {
  try {
    const out = execFileSync(labPath, ['compose', 'ps', '-a', '-q', 'gateway'], { encoding: 'utf8' }).trim();
    if (out === '') return false;
    const state = execFileSync('docker', ['inspect', '-f', '{{.State.Running}}', out], { encoding: 'utf8' }).trim();
    return state === 'true';
  } catch {
    return false;
  }
}
