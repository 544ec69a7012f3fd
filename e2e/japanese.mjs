// Every console page in Japanese, walked as each role sees it, fails on English words or
// internal keys (snake_case codes, "phone:", raw statuses) outside a small allow-list of terms
// Japanese staff use as they are (LINE, FAQ, SLA, …). Run by crates/madoguchi/tests/browser.rs.
import { check, launch } from './lib.mjs';
import { readFileSync } from 'node:fs';

const base = process.env.BASE_URL;
const creds = JSON.parse(readFileSync(process.env.CREDS, 'utf8'));
const user = (login) => creds.users.find((u) => u.login === login);
const admin = user('admin').api_token;
const api = async (path) => (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${admin}` } })).json();

// Words Japanese staff read as they are, and the keyboard's keys.
const ALLOWED = new Set(['LINE', 'FAQ', 'SLA', 'ACW', 'CSV', 'Web', 'API', 'URL', 'ID', 'Madoguchi', 'Enter', 'Ctrl',
  'Alt', 'Shift', 'Esc', 'JST', 'PDF', 'IMAP', 'SMTP', 'FAX', 'Markdown', 'JSON', 'HMAC', 'SHA', 'Bearer', 'OK',
  'EC', 'QR', 'XLSX', 'Excel', 'Tab', 'SV', 'PNG', 'JPEG', 'GIF', 'WebP', 'TIFF', 'BOM', 'Shift_JIS',
  // Mail and connection terms as Japanese mail programs show them.
  'CC', 'BCC', 'SSL', 'TLS', 'Webhook',
  // The language switch names the other language in its own words.
  'English']);

/// The English in a page's visible text: words of Latin letters that are not part of a mail
/// address, a link, a code with digits or an allowed term, and snake_case keys.
function english(text, extra) {
  const cleaned = text
    .replace(/\S+@\S+/g, ' ')
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/\/[\w\-/{}.?=&]+/g, ' ');
  const found = [];
  for (const m of cleaned.matchAll(/[A-Za-z0-9_\-.:]*[A-Za-z][A-Za-z0-9_\-.:]*/g)) {
    let word = m[0].replace(/^[-.:_]+|[-.:_]+$/g, '');
    if (!word || /\d/.test(word) || word.length === 1) continue;
    if (ALLOWED.has(word) || extra.has(word)) continue;
    found.push(word);
  }
  return [...new Set(found)];
}

const merchants = (await api('/api/v1/merchants?limit=50')).items;
// Names and codes the demo's shops chose (their own words, not the product's).
const own = new Set(merchants.flatMap((m) => [m.code, ...m.slug.split('-'), ...(m.name.match(/[A-Za-z]+/g) || [])]));
// Sign-in names are the staff's own, as they type them.
for (const u of creds.users) own.add(u.login);
const slug = merchants[0].slug;
const conversations = (await api(`/api/v1/conversations?merchant=${slug}&limit=100`)).items;
const byChannel = new Map();
for (const c of conversations) if (!byChannel.has(c.channel)) byChannel.set(c.channel, c.id);
const customer = (await api(`/api/v1/customers?merchant=${slug}&limit=5`)).items[0];
const me = await api('/api/v1/me');

const pagesFor = {
  'agent.sato': ['/desk', '/desk?view=unassigned', '/desk?view=waiting', '/desk?view=escalated', '/desk?view=all&sort=waiting',
    ...[...byChannel.values()].map((id) => `/desk/conversations/${id}`),
    `/desk/customers/${customer.id}`, '/desk/search?q=%E9%85%8D%E9%80%81', '/desk/search?q=zzzz', '/desk/tasks',
    '/desk/contacts/new', '/desk/conversations/00000000-0000-0000-0000-000000000000', '/desk/nowhere'],
  'sv.tanaka': ['/board', '/desk?view=all'],
  [`${slug.split('-')[0]}.staff`]: ['/portal', ...[...byChannel.values()].slice(0, 2).map((id) => `/desk/conversations/${id}`)],
  // The public pages a shop's customers see, and what an unknown address of theirs shows.
  '': ['/', `/help/${slug}`, `/help/${slug}/search?q=%E9%80%81%E6%96%99`, `/help/${slug}/articles/00000000-0000-0000-0000-000000000000`,
    `/help/nowhere`, `/form/${slug}`, '/form/nowhere', `/demo/shop/${slug}`, '/demo/shop/nowhere'],
  admin: [`/settings/${slug}`, `/settings/${slug}/kb`, `/settings/${slug}/policies`, `/settings/${slug}/checklists`,
    `/settings/${slug}/orders`, `/settings/${slug}/hours`, `/settings/${slug}/channels`, '/settings/staff',
    '/settings/audit', `/settings/audit?merchant=${slug}`, `/settings/staff/${me.id}/tokens`],
};

const browser = await launch();
let failed = false;
const problems = [];
try {
  for (const [login, paths] of Object.entries(pagesFor)) {
    const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    if (login) {
      await page.goto(`${base}/login`);
      await page.fill('input[name=login]', login);
      await page.fill('input[name=password]', user(login).password);
      await Promise.all([page.waitForNavigation(), page.click('#sign-in')]);
    }
    for (const path of paths) {
      const res = await page.goto(`${base}${path}`);
      const text = await page.evaluate(() => document.body.innerText);
      const words = english(text, own);
      if (words.length) problems.push(`${login || 'customer'} ${path} (${res.status()}): ${words.join(', ')}`);
      if ((await page.evaluate(() => document.contentType)).includes('json')) problems.push(`${path} answers JSON, not a page`);
    }
    await context.close();
  }
  // The top page says what this is and, on the demo, leads to each shop's customer pages.
  const top = await browser.newPage();
  await top.goto(`${base}/`);
  for (const m of merchants) {
    check(await top.locator(`#demo-shops a[href="/help/${m.slug}"]`).count() === 1, `the top page links ${m.name}'s help center`);
  }
  const icon = await fetch(`${base}/favicon.ico`);
  check(icon.ok && icon.headers.get('content-type').startsWith('image/svg'), 'there is a favicon');
  await top.close();
  check(problems.length === 0, `every console page is in Japanese${problems.map((p) => `\n  ${p}`).join('')}`);
} catch (e) {
  console.error(e);
  failed = true;
} finally {
  await browser.close();
}
if (failed) process.exit(1);
