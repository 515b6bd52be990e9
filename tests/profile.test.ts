import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { execIn, labAsync } from './support/lab.js';

describe('./lab profile', () => {
  it('profiles a running Node service through its inspector, keeps the .cpuprofile and closes the inspector', async () => {
    const out = await labAsync(['profile', 'lb', '2'], 90_000);
    expect(out).toMatch(/2 s profiled: the main thread ran \d+ ms/);
    expect(out).toMatch(/Top frames by self time/);
    const file = /^profile: (\S+\.cpuprofile)/m.exec(out)?.[1];
    expect(file !== undefined && existsSync(file)).toBe(true);
    const profile = JSON.parse(readFileSync(file!, 'utf8')) as { nodes: unknown[]; samples: number[] };
    expect(profile.nodes.length).toBeGreaterThan(1);
    expect(profile.samples.length).toBeGreaterThan(0);
    // Nothing listens on the inspector's port inside the container afterwards.
    const probe =
      "fetch('http://127.0.0.1:9229/json/list').then(() => console.log('open'), () => console.log('closed'))";
    expect((await execIn('lb', ['node', '-e', probe])).trim()).toBe('closed');
  });

  it('refuses a service that does not run and a bad duration, with a message', async () => {
    await expect(labAsync(['profile', 'no-such-service'])).rejects.toThrow(
      /no running container for the service 'no-such-service'/,
    );
    await expect(labAsync(['profile', 'lb', 'soon'])).rejects.toThrow(/SECONDS must be 1\.\.600/);
  });
});
