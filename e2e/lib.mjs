// What every browser test shares: Chromium started the same way, `check`, which prints what
// passed and stops at the first failure, the API as one user, and waiting for a condition.
import { chromium } from 'playwright-core';

export function check(ok, what) {
  if (!ok) throw new Error(`FAILED: ${what}`);
  console.log(`ok - ${what}`);
}

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

// The desk's API as the user of `token` (another token per call when given).
export function apiAs(base, token) {
  return async (method, path, body, as = token) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${as}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: await res.json().catch(() => null) };
  };
}

// Polls `probe` until it gives something, failing the walk after `seconds`.
export async function until(what, probe, seconds = 20) {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`FAILED: ${what} (waited ${seconds} s)`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
