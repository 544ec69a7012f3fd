// A call in the agent's console, in a real browser against `madoguchi demo`. This script plays
// Twilio on both sides: the caller's webhooks, signed with the demo number's Auth Token over
// the desk's public URL and following the TwiML's URLs, and the REST API the desk places and
// moves calls with (on TWILIO_PORT, where the server's twilio_api_base points). The browser
// phone is a stand-in for @twilio/voice-sdk's Twilio.Device (the real one needs Twilio's cloud):
// it takes the token the desk mints and reports answer and hang-up as Twilio would, by the
// agent leg's webhooks. The call rings for one agent, the card pops with the shop and the
// customer, the agent answers, holds, resumes, hangs up and wraps up; a second call is
// transferred to the shop's own line from the softphone; the board counts them.
// Run by crates/madoguchi/tests/browser.rs.
import { apiAs, check, launch, until } from './lib.mjs';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { readFileSync, mkdirSync } from 'node:fs';

const base = process.env.BASE_URL;
const creds = JSON.parse(readFileSync(process.env.CREDS, 'utf8'));
const shots = process.env.SHOTS;
mkdirSync(shots, { recursive: true });
const user = (login) => creds.users.find((u) => u.login === login);
const admin = user('admin').api_token;
const api = apiAs(base, admin);
const number = creds.phone_numbers.find((n) => n.merchant === 'hanamaru-gift');



// --- Twilio's webhooks: X-Twilio-Signature is base64 HMAC-SHA1 of the URL and the sorted
// parameters, keyed with the Auth Token.
const sign = (url, params) => createHmac('sha1', number.auth_token)
  .update(url + Object.keys(params).sort().map((k) => k + params[k]).join(''), 'utf8').digest('base64');
const sid = () => `CA${randomBytes(16).toString('hex')}`;
const unescape = (s) => s.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"');

async function webhook(url, leg, extra) {
  const params = {
    AccountSid: number.account_sid, ApiVersion: '2010-04-01', Direction: 'inbound', To: number.number, ...leg, ...extra,
  };
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sign(url, params) },
    body: new URLSearchParams(params),
  });
  const xml = await res.text();
  if (res.status !== 200 || !xml.startsWith('<?xml')) throw new Error(`FAILED: ${url} answered ${res.status}: ${xml}`);
  return xml;
}
const attr = (xml, tag, name) => {
  const m = xml.match(new RegExp(`<${tag}\\b[^>]*\\b${name}="([^"]*)"`));
  return m ? unescape(m[1]) : null;
};

// --- Twilio's REST API: what the desk asks of it, checked against the account's credentials.
const sent = [];
const rest = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    const expected = `Basic ${Buffer.from(`${number.account_sid}:${number.auth_token}`).toString('base64')}`;
    const m = req.url.match(/^\/2010-04-01\/Accounts\/([^/]+)\/Calls(?:\/([^/.]+))?\.json$/);
    res.setHeader('content-type', 'application/json');
    if (req.method !== 'POST' || !m || m[1] !== number.account_sid || req.headers.authorization !== expected) {
      res.statusCode = 401;
      res.end(JSON.stringify({ code: 20003, message: 'Authenticate', status: 401 }));
      return;
    }
    const form = Object.fromEntries(new URLSearchParams(body));
    const placed = m[2] ? null : sid();
    sent.push({ call: m[2] || null, form, placed });
    res.statusCode = placed ? 201 : 200;
    res.end(JSON.stringify({ sid: placed || m[2], status: placed ? 'queued' : 'in-progress', account_sid: number.account_sid }));
  });
});
await new Promise((ok) => rest.listen(Number(process.env.TWILIO_PORT), '127.0.0.1', ok));
const nth = (n, what) => until(`the desk asks Twilio to ${what}`, () => sent[n - 1]);

// The browser phone's stand-in: Twilio.Device with the events softphone.js listens to. What
// the agent does on it reaches this script through `__phone`, as Twilio would tell the desk.
const stub = () => {
  const emitter = () => ({
    handlers: {},
    on(ev, fn) { (this.handlers[ev] ||= []).push(fn); },
    emit(ev, ...a) { (this.handlers[ev] || []).forEach((f) => f(...a)); },
  });
  window.Twilio = {
    Device: class {
      constructor(token) { Object.assign(this, emitter()); this.token = token; window.__device = this; }
      async register() { this.registered = true; }
      updateToken(token) { this.token = token; }
    },
  };
  window.__ring = () => {
    if (!window.__device?.registered) return false;
    const call = Object.assign(emitter(), {
      accept() { window.__phone('accept'); },
      reject() { window.__phone('reject'); },
      disconnect() { window.__phone('disconnect'); this.emit('disconnect'); },
      mute(on) { this.muted = on; },
      sendDigits(d) { window.__phone(`digits:${d}`); },
    });
    window.__device.emit('incoming', call);
    return true;
  };
};

const browser = await launch();
let failed = false;
try {
  // The gift shop is open round the clock for this walk, so the call reaches its menu.
  const allDay = [{ open: '00:00', close: '24:00' }];
  const hours = { mon: allDay, tue: allDay, wed: allDay, thu: allDay, fri: allDay, sat: allDay, sun: allDay, closed_on_national_holidays: false };
  const open = await api('PATCH', '/api/v1/merchants/hanamaru-gift', { business_hours: hours, closed_days: [] });
  check(open.status === 200, `the gift shop is open all day (${open.status})`);
  // Only 佐藤 is at work: everyone else the earlier walks left at the desk goes offline.
  for (const u of creds.users.filter((u) => u.login !== 'agent.sato')) {
    await api('PUT', '/api/v1/me/presence', { presence: 'offline' }, u.api_token);
  }
  const users = (await api('GET', '/api/v1/users?limit=200')).json.items;
  const sato = users.find((u) => u.login === 'agent.sato');
  const identity = `agent_${sato.id.replace(/-/g, '')}`;
  const customer = (await api('GET', '/api/v1/customers?merchant=hanamaru-gift&limit=20')).json.items
    .find((c) => c.name && c.identities.some((i) => i.kind === 'phone'));
  const from = customer.identities.find((i) => i.kind === 'phone').value;

  const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 800 } });
  const phoneEvents = [];
  await context.exposeBinding('__phone', (_source, what) => { phoneEvents.push(what); });
  await context.addInitScript(stub);
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.fill('input[name=login]', 'agent.sato');
  await page.fill('input[name=password]', user('agent.sato').password);
  await page.click('#sign-in');
  await page.waitForSelector('#top-bar');
  if (await page.isVisible('#presence-prompt')) {
    await Promise.all([page.waitForNavigation(), page.click('#start-work')]);
  }
  const me = await until('佐藤 is available', async () => {
    const shown = await page.textContent('#shown-presence');
    return /受付可|対応中/.test(shown) && shown;
  });
  check(true, `the agent is at work (${me.trim()})`);
  check(!(await page.isVisible('#softphone')) && !(await page.isVisible('#phone-state')), 'with no call the phone takes no room');
  await until('the browser phone registers with a token from the desk', () => page.evaluate(() => window.__device?.registered));
  const token = await page.evaluate(() => window.__device.token);
  const grant = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
  check(grant.grants?.identity === identity && grant.grants?.voice?.incoming?.allow === true,
    `the browser phone's token is for this agent and takes calls (${grant.grants?.identity})`);

  // A customer calls the shop's number and presses 3 (その他).
  const caller = { CallSid: sid(), From: from };
  let xml = await webhook(number.voice_url, caller, { CallStatus: 'ringing' });
  check(xml.includes('ギフトの花まる') && xml.includes('録音'), 'the caller hears the shop\'s name and the recording notice');
  const menu = attr(xml, 'Gather', 'action');
  check(!!menu, 'and the menu');
  xml = await webhook(menu, caller, { CallStatus: 'in-progress', Digits: '3' });
  check(xml.includes('<Enqueue'), 'pressing 3 puts the caller in the queue');

  // The desk rings 佐藤's browser phone from the shop's number.
  const ring = await nth(1, 'ring the agent');
  check(ring.call === null && ring.form.To === `client:${identity}` && ring.form.From === number.number,
    `the desk rings client:${identity} from ${ring.form.From}`);
  check(await page.evaluate(() => window.__ring()), 'the browser phone rings');
  await page.waitForSelector('#phone-answer:not([hidden])', { timeout: 15000 });
  check((await page.textContent('#pop-shop')) === 'ギフトの花まる', 'the card says which shop to answer for');
  check((await page.textContent('#pop-greeting')).includes('ギフトの花まる'), `and its 名のり (${await page.textContent('#pop-greeting')})`);
  const shownCaller = await page.textContent('#pop-caller');
  check(shownCaller.includes(customer.name) && shownCaller.endsWith('様'), `and who calls, by name (${shownCaller})`);
  check((await page.textContent('#phone-state')).includes('着信中'), 'the header says 着信中');
  await page.screenshot({ path: `${shots}/phone-ringing.png` });

  // The agent answers: Twilio fetches the ring's URL for the agent's leg; the conversation
  // opens in a tab beside the phone.
  const agentLeg = { CallSid: ring.placed, From: number.number, To: `client:${identity}`, Direction: 'outbound-api' };
  const [conversation] = await Promise.all([context.waitForEvent('page'), page.click('#phone-answer')]);
  await until('the browser phone accepts', () => phoneEvents.includes('accept'));
  xml = await webhook(ring.form.Url, agentLeg, { CallStatus: 'in-progress' });
  check(xml.includes('</Conference>'), 'the agent joins the call\'s room');
  const bridge = await nth(2, 'put the caller through');
  check(bridge.call === caller.CallSid && bridge.form.Url.endsWith('e=bridge'), 'the caller is taken out of the queue');
  xml = await webhook(bridge.form.Url, caller, { CallStatus: 'in-progress' });
  check(xml.includes('</Conference>'), 'into the same room');
  await page.waitForFunction(() => document.getElementById('phone-state').textContent.includes('通話中'), null, { timeout: 15000 });
  check(true, 'the header says 通話中');
  await conversation.waitForLoadState();
  check((await conversation.textContent('#customer')).includes(customer.name), 'the opened conversation is the caller\'s, with their customer panel');

  // Hold and back: the caller hears the hold announcement meanwhile.
  await page.click('#phone-hold');
  const held = await nth(3, 'put the caller on hold');
  check(held.call === caller.CallSid && held.form.Url.endsWith('e=held'), 'hold moves the caller to the hold announcement');
  xml = await webhook(held.form.Url, caller, { CallStatus: 'in-progress' });
  check(xml.includes('少々お待ちください'), 'which asks them to wait');
  await page.waitForFunction(() => document.getElementById('phone-state').textContent.includes('保留中'), null, { timeout: 15000 });
  check((await page.textContent('#phone-hold')) === '保留解除', 'the header says 保留中 and the button 保留解除');
  await page.click('#phone-hold');
  const back = await nth(4, 'take the caller off hold');
  check(back.form.Url.endsWith('e=bridge'), 'resuming brings the caller back');
  xml = await webhook(back.form.Url, caller, { CallStatus: 'in-progress' });
  check(xml.includes('</Conference>'), 'back in the room');
  await page.waitForFunction(() => document.getElementById('phone-state').textContent.includes('通話中'), null, { timeout: 15000 });

  // The agent hangs up: Twilio reports the agent's leg completed, and the caller's room ends.
  await page.click('#phone-hangup');
  await until('the browser phone hangs up', () => phoneEvents.includes('disconnect'));
  await webhook(ring.form.StatusCallback, agentLeg, { CallStatus: 'completed', CallDuration: '42' });
  const talked = attr(xml, 'Dial', 'action');
  xml = await webhook(talked, caller, { CallStatus: 'in-progress', DialCallStatus: 'completed' });
  check(xml.includes('<Hangup/>'), 'the caller\'s side is hung up');
  const status = new URL(number.voice_url);
  status.searchParams.set('e', 'status');
  await webhook(status.toString(), caller, { CallStatus: 'completed', CallDuration: '60' });
  await page.waitForSelector('#softphone', { state: 'hidden', timeout: 15000 });
  check(/後処理/.test(await page.textContent('#shown-presence')), 'the phone is idle and the agent is in 後処理');

  // The wrap-up, in the caller's conversation; then the agent is free again.
  await conversation.reload();
  await conversation.waitForSelector('#contact-ended', { timeout: 15000 });
  await conversation.selectOption('#disposition', 'DELIVERY_INFO');
  await conversation.fill('#wrapup-note', '電話でお届け日を案内');
  await conversation.click('#record-wrapup');
  await conversation.waitForFunction(() => document.getElementById('wrapups')?.textContent.includes('お届け日を案内'), null, { timeout: 15000 });
  check(true, 'the call is wrapped up');
  await page.reload();
  check(/受付可|対応中/.test(await page.textContent('#shown-presence')), 'after the wrap-up the agent is at work again');
  check(sent.length === 4, `nothing else was asked of Twilio (${sent.length} requests)`);
  // The call beside the timeline: how it went, to the second.
  const card = await conversation.textContent('#calls');
  check(card.includes('応答') && card.includes('「3」') && card.includes('担当者'),
    `the conversation shows the call: answered, 「3」 pressed, hung up by the agent (${card.replace(/\s+/g, ' ').slice(0, 120)})`);
  await conversation.screenshot({ path: `${shots}/call-wrapped-up.png`, fullPage: true });

  // A second call, handed on to the shop's own line from the softphone (blind transfer).
  const caller2 = { CallSid: sid(), From: from };
  xml = await webhook(number.voice_url, caller2, { CallStatus: 'ringing' });
  await webhook(attr(xml, 'Gather', 'action'), caller2, { CallStatus: 'in-progress', Digits: '3' });
  const ring2 = await nth(5, 'ring the agent for the second call');
  check(await page.evaluate(() => window.__ring()), 'the browser phone rings again');
  await page.waitForSelector('#phone-answer:not([hidden])', { timeout: 15000 });
  const [second] = await Promise.all([context.waitForEvent('page'), page.click('#phone-answer')]);
  const leg2 = { CallSid: ring2.placed, From: number.number, To: `client:${identity}`, Direction: 'outbound-api' };
  await webhook(ring2.form.Url, leg2, { CallStatus: 'in-progress' });
  await webhook((await nth(6, 'put the second caller through')).form.Url, caller2, { CallStatus: 'in-progress' });
  await page.waitForFunction(() => document.getElementById('phone-state').textContent.includes('通話中'), null, { timeout: 15000 });
  await page.click('#phone-transfer summary');
  const queues = await page.locator('#transfer-queue option').allTextContents();
  check(queues.includes('配送'), `the shop's queues can be chosen to transfer to (${queues.filter(Boolean).join(' / ')})`);
  await page.fill('#transfer-number', '03-1234-5678');
  await page.click('#transfer-go');
  const dropped = await nth(7, "hang up the agent's phone");
  check(dropped.call === ring2.placed && dropped.form.Status === 'completed', "transferring hangs up the agent's phone");
  const out = await nth(8, 'put the caller through to the number');
  check(out.call === caller2.CallSid && out.form.Url.endsWith('e=transfer_out'), 'and sends the caller on');
  xml = await webhook(out.form.Url, caller2, { CallStatus: 'in-progress' });
  check(xml.includes('>+81312345678</Number>') && xml.includes(`callerId="${number.number}"`),
    'the caller is put through to 03-1234-5678, shown the shop\'s number');
  await page.waitForSelector('#softphone', { state: 'hidden', timeout: 15000 });
  await page.waitForFunction(() => /後処理/.test(document.getElementById('shown-presence').textContent), null, { timeout: 15000 });
  check(true, 'the phone is free and the agent is in 後処理');
  await second.reload();
  await second.selectOption('#disposition', 'DELIVERY_INFO');
  await second.fill('#wrapup-note', 'ショップの担当部署へ転送');
  await second.click('#record-wrapup');
  await second.waitForFunction(() => document.getElementById('wrapups')?.textContent.includes('担当部署へ転送'), null, { timeout: 15000 });
  check((await second.textContent('#calls')).includes('転送の依頼'), 'the call\'s card shows the transfer');
  await context.close();

  // The supervisor's board counts the call.
  const sv = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 800 } });
  const board = await sv.newPage();
  await board.goto(`${base}/login`);
  await board.fill('input[name=login]', 'sv.tanaka');
  await board.fill('input[name=password]', user('sv.tanaka').password);
  await board.click('#sign-in');
  await board.waitForSelector('#top-bar');
  await board.goto(`${base}/board`);
  const shop = board.locator('section.board[data-merchant="hanamaru-gift"]');
  const answered = Number(await shop.locator('.calls-answered').textContent());
  check(answered >= 1 && Number(await shop.locator('.calls-offered').textContent()) >= answered,
    `the board counts today's answered calls (${answered})`);
  check((await shop.textContent('.calls-now')).includes('待っているお客様はいません'), 'and nobody waiting');
  await board.screenshot({ path: `${shots}/board-calls.png`, fullPage: true });
  await sv.close();
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await browser.close();
  rest.close();
}
process.exit(failed ? 1 : 0);
