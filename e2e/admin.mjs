// Browser test of the administrator's settings loop against a running `madoguchi demo`: from
// the settings home the admin adds a colleague with a shop, a skill and a chat limit, sets the
// shop's hours and a closed day, changes the chat's welcome line and colour (the shop's widget
// shows both), stores LINE secrets (masked once saved) and a mailbox that cannot be reached
// (the test says why in Japanese), issues a token for the colleague and revokes it (the API
// refuses it), and finds all of it in the audit log. With nobody at work the widget says so
// and offers an answer by mail. A second colleague is invited by mail only: they open the
// link from the mail, choose their password and sign in. Runs last: it changes the demo
// shop's hours and widget.
// Run by crates/madoguchi/tests/browser.rs.
import { check, launch } from './lib.mjs';
import { readFileSync, readdirSync, mkdirSync } from 'node:fs';

const base = process.env.BASE_URL;
const creds = JSON.parse(readFileSync(process.env.CREDS, 'utf8'));
const shots = process.env.SHOTS;
mkdirSync(shots, { recursive: true });
const user = (login) => creds.users.find((u) => u.login === login);
const shop = 'hanamaru-gift';

// The text of the newest mail the demo wrote for `to` (no relay: .eml files in the data folder).
function mailTo(to) {
  const dir = `${process.env.DATA_DIR}/sent-mail`;
  const mails = readdirSync(dir).filter((f) => f.endsWith('.eml')).map((f) => readFileSync(`${dir}/${f}`, 'utf8'))
    .filter((m) => m.includes(`To: ${to}`));
  const raw = mails.at(-1) ?? '';
  const [head, ...rest] = raw.split(/\r?\n\r?\n/);
  const body = rest.join('\n\n');
  if (/Content-Transfer-Encoding: base64/i.test(head)) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (/Content-Transfer-Encoding: quoted-printable/i.test(head)) {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

async function api(method, path, token, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: await res.json().catch(() => null) };
}

// When the loop began, as the audit log writes times (JST), to count only this test's rows.
const jst = (d) => new Date(d.getTime() + 9 * 3600 * 1000).toISOString().slice(0, 19).replace('T', ' ').replaceAll('-', '/');
const started = jst(new Date(Date.now() - 1000));

const browser = await launch();
let failed = false;
try {
  const admin = user('admin');
  const ctx = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  // Deletes and revocations ask first; the test says yes.
  const asked = [];
  page.on('dialog', async (d) => { asked.push(d.message()); await d.accept(); });
  await page.goto(`${base}/login`);
  await page.fill('input[name=login]', admin.login);
  await page.fill('input[name=password]', admin.password);
  await page.click('#sign-in');
  await page.waitForSelector('#top-bar');

  // The settings home, from the header's menu.
  await page.click('#settings-menu summary');
  await page.click('#all-settings-link');
  await page.waitForSelector('#settings-home');
  const shops = await page.locator('#shop-settings tr').count();
  check(shops >= 2, `the settings home lists every shop (${shops})`);
  check(await page.isVisible('#home-staff') && await page.isVisible('#home-audit'), 'and staff and the audit log');

  // A new colleague with a shop, then a skill and a chat limit.
  await page.click('#home-staff');
  await page.waitForSelector('#new-user');
  await page.fill('#new-login', 'e2e.kimura');
  await page.fill('#new-name', '木村 花子');
  await page.fill('#new-public-name', 'サポート 木村');
  await page.selectOption('#new-role', 'agent');
  await page.check(`#new-user input[name=shop][value="${shop}"]`);
  // Too short a password is refused beside the form, and what was typed stays.
  await page.fill('#new-password', 'short');
  await page.click('#create-user');
  await page.waitForSelector('#settings-error');
  check((await page.textContent('#settings-error')).includes('10文字以上'), 'a short password is refused in Japanese');
  check(await page.inputValue('#new-login') === 'e2e.kimura', 'the login typed is kept');
  await page.check(`#new-user input[name=shop][value="${shop}"]`);
  await page.fill('#new-password', 'kimura-password-2026');
  await page.click('#create-user');
  await page.waitForSelector('#settings-saved');
  const row = page.locator('#staff tbody tr', { hasText: 'e2e.kimura' });
  check(await row.count() === 1, 'the colleague is listed');
  const userId = (await row.getAttribute('id')).replace('user-', '');
  await row.locator('details.edit summary').click();
  await row.locator('.staff-profile input[name=skills]').fill('配送');
  await row.locator('.staff-profile input[name=max_messaging]').fill('３');
  await row.locator('.staff-profile button').click();
  await page.waitForSelector('#settings-saved');
  const again = page.locator(`#user-${userId}`);
  check((await again.locator('.skills').textContent()).includes('配送'), 'the skill is saved');
  check((await again.locator('.max-chats').textContent()).trim() === '3', 'the chat limit is saved (full-width digits read)');

  // Another colleague, invited by mail only: they choose their own password from the link.
  await page.fill('#new-login', 'e2e.mori');
  await page.fill('#new-name', '森 次郎');
  await page.fill('#new-email', 'ｍｏｒｉ＠example.jp');
  await page.selectOption('#new-role', 'agent');
  await page.check(`#new-user input[name=shop][value="${shop}"]`);
  await page.click('#create-user');
  await page.waitForSelector('#settings-saved');
  check((await page.textContent('#settings-saved')).includes('mori@example.jp にパスワード設定メールを送りました'), 'the invitation is said to be sent');
  const invited = page.locator('#staff tbody tr', { hasText: 'e2e.mori' });
  check((await invited.locator('.link-state').textContent()).includes('招待中'), 'the colleague is listed as invited');
  const text = mailTo('mori@example.jp');
  const link = (text.match(/https?:\/\/\S+\/password\/\S+/) ?? [])[0];
  check(Boolean(link) && text.includes('ログインID: e2e.mori'), `the invitation mail holds the link and the login: ${text.slice(0, 200)}`);
  const newcomer = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1024, height: 768 } });
  const mori = await newcomer.newPage();
  await mori.goto(link);
  check((await mori.textContent('#password-lead')).includes('森 次郎さん、ようこそ'), 'the link greets the colleague by name');
  await mori.fill('#new-password', 'もりのパスワード２０２６');
  await mori.fill('#password-again', 'もりのパスワード２０２５');
  await mori.click('#set-password');
  await mori.waitForSelector('#password-error');
  check((await mori.textContent('#password-error')).includes('2回'), 'two different passwords are refused in Japanese');
  await mori.fill('#new-password', 'もりのパスワード２０２６');
  await mori.fill('#password-again', 'もりのパスワード２０２６');
  await mori.click('#set-password');
  await mori.waitForSelector('#login-notice');
  check(await mori.inputValue('input[name=login]') === 'e2e.mori', 'the sign-in page has the login filled in');
  await mori.fill('input[name=password]', 'もりのパスワード２０２６');
  await mori.click('#sign-in');
  await mori.waitForSelector('#top-bar');
  await mori.goto(link);
  check((await mori.textContent('#password-lead')).includes('すでに使われています'), 'the link works only once');
  await newcomer.close();

  // Business hours every day, with a closed day.
  await page.goto(`${base}/settings/${shop}/hours`);
  for (const d of ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']) await page.fill(`#hours-${d}`, '0:00-24:00');
  await page.fill('#closed-days', '2027-02-10 棚卸し');
  await page.uncheck('#holidays-closed');
  await page.click('#save-hours');
  await page.waitForSelector('#settings-saved');
  check((await page.inputValue('#closed-days')).includes('2027-02-10'), 'the closed day is saved');

  // The chat's welcome line, on the shop's settings page.
  const welcome = 'はなまるギフトのチャット窓口です。お気軽にどうぞ。';
  await page.goto(`${base}/settings/${shop}`);
  await page.fill('#chat-greeting', welcome);
  await page.click('#save-general');
  await page.waitForSelector('#settings-saved');

  // Channels: LINE secrets are masked once stored; the chat's colour; a mailbox out of reach.
  await page.goto(`${base}/settings/${shop}/channels`);
  const secret = 'e2e-line-secret-0a1b2c3d4e5f';
  await page.fill('#line-secret', secret);
  await page.fill('#line-token', 'e2e-line-access-token-9z8y7x');
  await page.click('#save-line');
  await page.waitForSelector('#settings-saved');
  const html = await page.content();
  check(!html.includes(secret) && !html.includes('e2e-line-access-token'), 'the LINE secrets are not shown again');
  check(await page.getAttribute('#line-secret', 'value') === null || await page.inputValue('#line-secret') === '', 'the secret field is empty');
  check((await page.textContent('#line-form')).includes('設定済み'), 'the page says they are set');
  await page.fill('#chat-colour', '#8e24aa');
  await page.click('#save-chat');
  await page.waitForSelector('#settings-saved');
  check(await page.inputValue('#chat-colour') === '#8e24aa', 'the widget colour is saved');
  await page.fill('#imap-host', 'imap.unknown-host.invalid');
  await page.fill('#imap-port', '993');
  await page.fill('#imap-user', 'support');
  await page.fill('#imap-password', 'mailbox-password-1');
  await page.click('#save-mail');
  await page.waitForSelector('#settings-saved');
  await page.click('#mail-test');
  await page.waitForSelector('#mail-test-result', { timeout: 30000 });
  const said = await page.textContent('#mail-test-result');
  check(await page.getAttribute('#mail-test-result', 'data-ok') === 'false' && /[ぁ-んァ-ン一-龥]/.test(said) && !/[A-Za-z]{4,}/.test(said.replace(/IMAP|TLS/g, '')),
    `the mailbox test says in Japanese what failed: ${said}`);
  await page.screenshot({ path: `${shots}/settings-channels.png`, fullPage: true });

  // A token for the colleague works, then is revoked and refused.
  await page.goto(`${base}/settings/staff/${userId}/tokens`);
  await page.fill('#token-label', '受注システム連携');
  await page.click('#create-token');
  await page.waitForSelector('#issued-token');
  const token = (await page.textContent('#issued-token code')).trim();
  check((await api('GET', '/api/v1/me', token)).status === 200, 'the new token opens the API');
  await page.goto(`${base}/settings/staff/${userId}/tokens`);
  check(!(await page.content()).includes(token), 'the token is shown only once');
  await page.locator('#tokens form button').first().click();
  await page.waitForSelector('#no-tokens');
  check(asked.length === 1 && asked[0].length > 0, `revoking asked first: ${asked.join(' / ')}`);
  check((await api('GET', '/api/v1/me', token)).status === 401, 'the revoked token is refused');

  // All of it, by the admin, in the audit log.
  await page.goto(`${base}/settings/audit`);
  const me = (await api('GET', '/api/v1/me', admin.api_token)).json;
  const people = await page.$$eval('#audit-user option', (os) => os.map((o) => [o.value, o.textContent.trim()]));
  const mine = people.find(([, name]) => name === me.display_name);
  check(Boolean(mine), `the audit log can be filtered by person (${me.display_name})`);
  await page.selectOption('#audit-user', mine[0]);
  await page.click('#audit-filter button');
  await page.waitForSelector('#audit');
  const rows = await page.$$eval('#audit tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent.trim())));
  const subjects = rows.filter((r) => r[0] >= started).map((r) => r[3]);
  const count = (label) => subjects.filter((t) => t === label).length;
  check(count('スタッフ') >= 2, `the audit log shows the colleague added and given a skill (${count('スタッフ')})`);
  check(count('APIトークン') >= 2, `the token issued and revoked (${count('APIトークン')})`);
  check(count('ショップ') >= 5, `the hours, the welcome line and three channels (${count('ショップ')})`);
  await page.screenshot({ path: `${shots}/audit.png`, fullPage: true });

  // The shop's widget, with nobody at work: the welcome line, today's hours, the colour, and
  // an answer by mail offered instead of a wait.
  for (const u of creds.users.filter((u) => u.role !== 'merchant_admin' && u.role !== 'merchant_staff')) {
    await api('PUT', '/api/v1/me/presence', u.api_token, { presence: 'offline' });
  }
  const widget = creds.chat_widgets.find((w) => w.merchant === shop);
  const visitor = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 800 } });
  const shopPage = await visitor.newPage();
  await shopPage.goto(widget.demo_page);
  const colour = await shopPage.$eval('#mdg-chat-button', (b) => getComputedStyle(b).backgroundColor);
  check(colour === 'rgb(142, 36, 170)', `the chat button is in the shop's colour (${colour})`);
  await shopPage.click('#mdg-chat-button');
  await shopPage.waitForSelector('#mdg-chat-form:not([hidden])');
  check(await shopPage.textContent('#mdg-chat-greeting') === welcome, 'the widget shows the new welcome line');
  check((await shopPage.textContent('#mdg-chat-hours')).includes('00:00-24:00'), 'and today\'s hours');
  check((await shopPage.textContent('#mdg-chat-status')).includes('不在'), 'it says nobody is at work');
  check((await shopPage.textContent('#mdg-chat-form')).includes('メールでお返事'), 'and offers an answer by mail');
  await shopPage.fill('#mdg-chat-name', '不在 確認');
  await shopPage.fill('#mdg-chat-first', '明日の配送に間に合いますか');
  await shopPage.click('#mdg-chat-start');
  await shopPage.waitForSelector('#mdg-chat-reply-form:not([hidden])', { timeout: 15000 });
  check((await shopPage.textContent('#mdg-chat-queue')).includes('対応できる担当者がいません'), 'waiting, the visitor is told nobody can answer now');
  await shopPage.fill('#mdg-chat-reply-email', 'fuzai.kakunin@example.jp');
  await shopPage.click('#mdg-chat-reply-form button');
  await shopPage.waitForSelector('#mdg-chat-notice:not([hidden])');
  check((await shopPage.textContent('#mdg-chat-notice')).includes('fuzai.kakunin@example.jp'), 'the answer by mail is confirmed');
  await shopPage.screenshot({ path: `${shots}/chat-nobody.png` });
} catch (e) {
  console.error(e);
  failed = true;
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
