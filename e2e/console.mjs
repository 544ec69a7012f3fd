// Browser test of the console against a running `madoguchi demo`: sign-in, the inbox in
// Japanese and English, merchant isolation, escaping of hostile content, lockout.
// Run by crates/madoguchi/tests/browser.rs with BASE_URL, CREDS and SHOTS set.
import { check, launch } from './lib.mjs';
import { readFileSync, mkdirSync } from 'node:fs';

const base = process.env.BASE_URL;
const creds = JSON.parse(readFileSync(process.env.CREDS, 'utf8'));
const shots = process.env.SHOTS;
mkdirSync(shots, { recursive: true });
const user = (login) => creds.users.find((u) => u.login === login);
const merchantName = (slug) => creds.merchants.find((m) => m.slug === slug).name;

// An action on the live conversation page: it must update the page in place (no reload: a
// mark set on the window survives) until `ready` holds in the page.
async function inPlace(page, action, ready, arg) {
  await page.evaluate(() => { window.__sameDocument = true; });
  await action();
  await page.waitForFunction(ready, arg, { timeout: 15000 });
  if (!(await page.evaluate(() => window.__sameDocument === true))) throw new Error('FAILED: the page reloaded');
}

async function api(method, path, token, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: await res.json().catch(() => null) };
}

const browser = await launch();
let failed = false;
try {
  const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const dialogs = [];
  page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });

  // Hostile content arrives through the API before anyone looks.
  const xss = `<img src=x onerror="alert('xss-subject')"><script>alert('xss-script')</script>`;
  const created = await api('POST', '/api/v1/conversations', user('admin').api_token,
    { merchant: 'hanamaru-gift', channel: 'web_form', subject: xss, priority: 'urgent' });
  check(created.status === 201, 'a conversation with a hostile subject is accepted by the API');

  await page.goto(`${base}/desk`);
  check(page.url().endsWith('/login'), 'the inbox sends an anonymous visitor to sign in');
  check((await page.textContent('h2')) === 'ログイン', 'the sign-in page is in Japanese');
  await page.screenshot({ path: `${shots}/login.png` });

  const agent = user('agent.sato');
  await page.fill('input[name=login]', agent.login);
  await page.fill('input[name=password]', agent.password);
  await page.click('#sign-in');
  await page.waitForSelector('#presence-prompt');
  check(true, 'an agent who signs in offline is asked to start taking contacts');
  await page.goto(`${base}/desk?view=all`);
  await page.waitForSelector('#inbox');
  const rows = await page.locator('#inbox tbody tr').count();
  check(rows > 10, `the agent's inbox lists conversations (${rows})`);
  const text = await page.textContent('#inbox');
  check(text.includes(merchantName('hanamaru-gift')) && text.includes(merchantName('yasai-hatake')), 'both shops the agent serves appear');
  check(text.includes("<script>alert('xss-script')</script>"), 'the hostile subject is shown as text');
  check(dialogs.length === 0, 'no script from customer content ran');
  check((await page.locator('#inbox img').count()) === 0, 'no element was injected');
  await page.screenshot({ path: `${shots}/inbox.png`, fullPage: false });

  // A new contact appears in the open inbox without a reload.
  const live = await api('POST', '/api/v1/conversations', user('admin').api_token,
    { merchant: 'yasai-hatake', channel: 'line', subject: 'ライブ更新の確認', priority: 'high' });
  await page.waitForSelector(`#inbox tr[data-id="${live.json.id}"]`, { timeout: 15000 });
  check(true, 'a new conversation appears in the open inbox live');

  // The conversation page: shop and greeting in view, timeline, customer, reply and note.
  const xssId = created.json.id;
  await api('POST', `/api/v1/conversations/${xssId}/messages`, user('admin').api_token,
    { kind: 'inbound', body_text: `<script>alert('xss-body')</script>ご注文の件`, body_html: `<p onclick="alert(1)">x</p><script>alert('xss-html')</script>` });
  await page.click(`#inbox tr[data-id="${xssId}"] a`);
  await page.waitForSelector('#timeline');
  check((await page.textContent('#shop-name')) === merchantName('hanamaru-gift'), 'the shop name is in view');
  check((await page.textContent('#greeting')).includes('花まる'), 'the greeting (名のり) is in view');
  check((await page.textContent('#timeline')).includes("<script>alert('xss-body')</script>"), 'a hostile message body is shown as text');
  check(dialogs.length === 0, 'no script from a message ran');

  // An IME confirming a conversion with Enter must not send anything.
  await page.fill('#body', 'へんしん');
  const before = await page.locator('#timeline li').count();
  await page.dispatchEvent('#body', 'keydown', { key: 'Enter', ctrlKey: true, isComposing: true, keyCode: 229 });
  await page.waitForTimeout(300);
  check(page.url().endsWith(xssId) && (await page.locator('#timeline li').count()) === before, 'Enter during IME composition sends nothing');
  await page.fill('#body', 'お問い合わせありがとうございます。確認いたします。');
  await inPlace(page, () => page.press('#body', 'Control+Enter'), () => document.getElementById('timeline').textContent.includes('確認いたします。'));
  check((await page.inputValue('#body')) === '', 'Ctrl+Enter records the reply in place and empties the composer');
  await page.fill('#body', '至急：お客様へ折り返し');
  await inPlace(page, () => page.click('#add-note'), () => document.querySelectorAll('#timeline .note').length >= 1);
  check(true, 'an internal note is added without a reload');
  // A field saves as soon as it is chosen: no button.
  check(!(await page.isVisible('#save')), 'the fields have no save button to press');
  await inPlace(page, () => page.selectOption('#status', 'pending'), () => document.querySelector('.meta')?.textContent.includes('保留'));
  check((await page.inputValue('#status')) === 'pending', 'the status is changed');
  await page.screenshot({ path: `${shots}/conversation.png`, fullPage: true });

  // Escalate to the shop; the shop answers in its portal; the agent sees the answer live.
  await page.fill('#escalation-question', '開封済みの商品の返品を受けてよいでしょうか。');
  await inPlace(page, () => page.click('#escalate-button'), () => document.getElementById('escalations').textContent.includes('回答待ち'));
  check(true, 'the escalation waits for the shop');
  const shop = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 800 } });
  const portal = await shop.newPage();
  portal.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  await portal.goto(`${base}/login`);
  await portal.fill('input[name=login]', user('hanamaru.staff').login);
  await portal.fill('input[name=password]', user('hanamaru.staff').password);
  await portal.click('#sign-in');
  await portal.goto(`${base}/portal`);
  const item = portal.locator('#portal-list li', { hasText: '開封済みの商品の返品' });
  check((await item.count()) === 1, "the question reaches the shop's portal");
  await item.locator('textarea').fill('未使用であれば返品を受けてください。送料は当店が負担します。');
  await portal.screenshot({ path: `${shots}/portal.png` });
  await Promise.all([portal.waitForNavigation(), item.locator('button').click()]);
  check((await portal.textContent('#portal-list')).includes('回答済み'), 'the shop sees its answer recorded');
  await page.waitForFunction(() => document.getElementById('escalations')?.textContent.includes('送料は当店が負担'), null, { timeout: 15000 });
  check(true, "the shop's answer appears on the agent's open page live");
  check((await page.textContent('#timeline')).includes('ショップから回答'), 'the answer is in the timeline');
  await page.screenshot({ path: `${shots}/conversation-answered.png`, fullPage: true });
  await shop.close();

  // A call: the talk script for its category, a canned response filled for this customer,
  // and no closing before the wrap-up.
  const customers = await api('GET', '/api/v1/customers?merchant=hanamaru-gift&limit=1', user('admin').api_token);
  const customer = customers.json.items[0];
  const call = await api('POST', '/api/v1/conversations', user('admin').api_token,
    { merchant: 'hanamaru-gift', channel: 'phone', customer_id: customer.id, category: '配送', subject: '配送状況の確認' });
  await page.goto(`${base}/desk/conversations/${call.json.id}`);
  check((await page.textContent('#script')).includes('伝票番号'), 'the talk script of the category is shown');
  const queues = await page.locator('#queue option').allTextContents();
  check(queues.includes('配送') && queues.includes('注文・支払い'), `the shop's queues can be chosen: ${queues.join(' / ')}`);
  await page.focus('#body');
  await page.keyboard.press('Alt+1');
  const filled = await page.inputValue('#body');
  check(filled.includes(`${customer.name}様`) && !filled.includes('{お客様名}') && !filled.includes('{'), 'Alt+1 inserts a canned response filled for the customer');
  await inPlace(page, () => page.press('#body', 'Control+Enter'), (name) => document.getElementById('timeline').textContent.includes(`${name}様`), customer.name);
  // The first reply takes the unassigned call for the agent who gave it.
  const me = await page.locator('#assignee option', { hasText: '佐藤' }).first().getAttribute('value');
  await page.waitForFunction((id) => document.getElementById('assignee')?.value === id
    && document.getElementById('timeline').textContent.includes('担当者を割り当て'), me, { timeout: 15000 });
  check(true, "the agent's first reply takes the call");
  await inPlace(page, () => page.selectOption('#status', 'closed'), () => document.getElementById('page-error')?.textContent.includes('後処理'));
  check(true, 'a call cannot be closed before its wrap-up');
  check((await page.inputValue('#disposition')) === '', 'the disposition starts unchosen (選択してください)');
  // After-contact work runs from the end of the call, on the server: a reload does not restart it.
  await inPlace(page, () => page.click('#end-contact-button'), () => !!document.getElementById('contact-ended'));
  await page.waitForTimeout(2200);
  await page.reload();
  const acwShown = await page.textContent('#acw-timer');
  check(/^0:0[2-9]$/.test(acwShown), `the after-contact timer survives a reload (${acwShown})`);
  await page.selectOption('#disposition', 'DELIVERY_INFO');
  await page.fill('#wrapup-note', '配送状況を案内済み');
  await inPlace(page, () => page.click('#record-wrapup'), () => document.getElementById('wrapups').textContent.includes('配送状況を案内'));
  const wrapups = await page.textContent('#wrapups');
  check(/\(0:0[2-9]\)/.test(wrapups), `the wrap-up is recorded with the after-contact time measured from the end of the call (${wrapups})`);
  await inPlace(page, () => page.selectOption('#status', 'closed'), () => document.querySelector('.meta')?.textContent.includes('完了'));
  check((await page.inputValue('#status')) === 'closed', 'after the wrap-up the call is closed');
  await page.screenshot({ path: `${shots}/wrap-up.png`, fullPage: true });

  // The shop's rules beside the call: the customer wants to cancel an order not yet shipped;
  // the desk offers the shop's coupon first and records that the customer took it.
  const admin0 = user('admin').api_token;
  const current = await api('GET', '/api/v1/merchants/hanamaru-gift/policies', admin0);
  const policies = current.json.policies;
  policies.cancellation.retention_offers = [{ code: 'next1000', label: '次回使える1,000円引きクーポン', discount_yen: 1000 }];
  check((await api('PUT', '/api/v1/merchants/hanamaru-gift/policies', admin0, policies)).status === 200, 'the shop saves a retention offer');
  const fresh = await api('POST', '/api/v1/orders', admin0, {
    merchant: 'hanamaru-gift', order_number: 'E2E-CANCEL-1', customer_id: customer.id, ordered_at: new Date().toISOString(),
    status: 'confirmed', payment_method: 'クレジットカード',
    lines: [{ sku: 'GIFT-1', name: '季節の詰め合わせ', quantity: 1, unit_price: 5400 }],
  });
  check(fresh.status === 201, 'an order not yet shipped');
  const block = `#order-${fresh.json.id}`;
  await page.goto(`${base}/desk/conversations/${call.json.id}`);
  await page.selectOption(`${block} select[name=request]`, 'cancel');
  await Promise.all([page.waitForNavigation(), page.click(`${block} .decide-button`)]);
  const decision = await page.textContent(`${block} .decision`);
  check(decision.includes('キャンセル: 対応可') && decision.includes('1,000円引き'), 'the decision shows eligible with the offer to make first');
  await page.screenshot({ path: `${shots}/decision.png`, fullPage: true });
  await Promise.all([page.waitForNavigation(), page.click(`${block} .offer-taken`)]);
  check((await page.textContent(`${block} .recorded-decisions`)).includes('提案を受け入れ (next1000)'), 'the customer taking the offer is recorded');
  const recorded = await api('GET', `/api/v1/orders/${fresh.json.id}/decisions`, admin0);
  check(recorded.json.length === 1 && recorded.json[0].policy_version === current.json.version + 1
    && recorded.json[0].conversation_id === call.json.id, 'the decision names the policy version and the call');

  // The same person wrote in by mail as a second customer record: merge it from the panel.
  const dup = await api('POST', '/api/v1/customers', user('admin').api_token,
    { merchant: 'hanamaru-gift', name: customer.name, identities: [{ kind: 'email', value: 'dup.customer@example.jp' }] });
  await api('POST', '/api/v1/conversations', user('admin').api_token,
    { merchant: 'hanamaru-gift', channel: 'email', customer_id: dup.json.id, subject: '別アドレスからの問い合わせ' });
  await page.fill('#merge-identity', 'DUP.Customer@Example.JP');
  await Promise.all([page.waitForNavigation(), page.click('#merge-button')]);
  const panel = await page.textContent('#customer');
  check(panel.includes('dup.customer@example.jp') && panel.includes('別アドレスからの問い合わせ'), 'two records of one customer are merged from the panel, history included');

  // A FAX typed in from the inbox header, with its scan.
  await page.goto(`${base}/desk`);
  await Promise.all([page.waitForNavigation(), page.click('#new-contact-link')]);
  await page.selectOption('#contact-merchant', 'hanamaru-gift');
  await page.selectOption('#contact-channel', 'fax');
  await page.fill('#contact-name', 'ＦＡＸ 花子');
  await page.fill('#contact-phone', '０３－１２３４－０９８７');
  await page.fill('#contact-body', 'FAXで注文書をお送りします。\n到着予定を教えてください。');
  await page.setInputFiles('#contact-scans',
    { name: 'FAX注文書.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% scanned order sheet\n') });
  await Promise.all([page.waitForNavigation(), page.click('#contact-save')]);
  const faxPage = await page.textContent('body');
  check(page.url().includes('/desk/conversations/') && faxPage.includes('FAX注文書.pdf') && faxPage.includes('到着予定を教えてください')
    && (await page.textContent('#customer')).includes('ＦＡＸ 花子'), 'a typed-in FAX lands with its scan on a customer');
  await page.screenshot({ path: `${shots}/typed-in-fax.png`, fullPage: true });

  // The shop's public help center, seeded with the demo FAQ: search with a question, read an answer.
  const help = creds.help_centers.find((h) => h.merchant === 'hanamaru-gift');
  await page.goto(`${help.url}/search?q=${encodeURIComponent('送料っていくら？')}`);
  await Promise.all([page.waitForNavigation(), page.click('#help-results a')]);
  check((await page.textContent('#help-question')).includes('送料') && (await page.innerHTML('#help-answer')).includes('<strong>550円</strong>'),
    'the help center answers a question in a sentence, the Markdown rendered');
  await Promise.all([page.waitForNavigation(), page.click('#help-yes')]);
  check(await page.isVisible('#help-thanks'), 'a reader can say the answer helped');
  await page.screenshot({ path: `${shots}/help-center.png`, fullPage: true });

  // Hostile content in every field a customer or a shop can fill, shown everywhere as text.
  const evil = (tag) => `<img src=x onerror="alert('${tag}')"><script>alert('${tag}')</script>`;
  const admin = user('admin').api_token;
  const hostile = await api('POST', '/api/v1/customers', admin, {
    merchant: 'hanamaru-gift', name: evil('name'), notes: evil('notes'), tags: ['<b>tag</b>'],
    address: { postal_code: '150-0001', prefecture: evil('pref'), city: '渋谷区', line1: evil('line1') },
  });
  check(hostile.status === 201, 'a customer with hostile fields is accepted');
  await api('PUT', '/api/v1/merchants/hanamaru-gift/scripts', admin, { category: 'XSS', body: evil('script') });
  await api('POST', '/api/v1/merchants/hanamaru-gift/canned-responses', admin, { title: evil('canned-title'), body: 'x' });
  const hc = await api('POST', '/api/v1/conversations', admin, {
    merchant: 'hanamaru-gift', channel: 'chat', customer_id: hostile.json.id, subject: evil('subject2'), category: 'XSS', queue: evil('queue').slice(0, 50), tags: ['<i>t</i>'],
    message: { kind: 'inbound', body_text: evil('chat-body'), body_html: `<div onmouseover="alert('html')">${evil('html')}</div>` },
  });
  check(hc.status === 201, `a conversation with hostile fields is accepted (${hc.status})`);
  await api('POST', `/api/v1/conversations/${hc.json.id}/escalations`, admin, { question: evil('question'), due_at: '2099-01-01T00:00:00Z' });
  // Search results carry the customer's text too (indexed within moments).
  for (let i = 0; i < 50; i++) {
    const r = await api('GET', `/api/v1/search?q=${encodeURIComponent('chat-body')}`, admin);
    if (r.json && r.json.results.length > 0) break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  for (const path of [`/desk/conversations/${hc.json.id}`, '/desk?view=all', '/portal', '/settings/hanamaru-gift', '/board',
    `/desk/search?q=${encodeURIComponent('chat-body')}`]) {
    await page.goto(`${base}${path}`);
    await page.waitForLoadState('load');
    const injected = await page.locator('main img, main script, aside img, .conversation img, .conversation script').count();
    check(injected === 0, `no markup from content is live on ${path}`);
  }
  check(dialogs.length === 0, 'no script from any field ran');
  await page.goto(`${base}/desk`);
  await page.waitForSelector('#inbox');

  await page.click('text=未割り当て');
  check((await page.getAttribute('a[href="/desk?view=unassigned"]', 'aria-current')) === 'page', 'the unassigned view is selected');
  // The language is in the person's own menu.
  await page.click('#user-menu summary');
  await Promise.all([page.waitForNavigation(), page.click('#user-menu >> text=English')]);
  check((await page.textContent('h1')) === 'Inbox', 'the console switches to English');
  await page.screenshot({ path: `${shots}/inbox-en.png` });
  await page.click('#user-menu summary');
  await Promise.all([page.waitForNavigation(), page.click('#user-menu >> text=日本語')]);
  await page.click('#user-menu summary');
  await page.click('#sign-out');
  await page.waitForURL(/\/login$/);
  check(true, 'signing out returns to the sign-in page');

  // The supervisor board.
  const sv = user('sv.tanaka');
  await page.fill('input[name=login]', sv.login);
  await page.fill('input[name=password]', sv.password);
  await page.click('#sign-in');
  await page.waitForSelector('#inbox');
  await page.click('#board-link');
  await page.waitForSelector('#board-area');
  const boardText = await page.textContent('#board-area');
  check(boardText.includes(merchantName('hanamaru-gift')) && boardText.includes('応答率') && boardText.includes('サービスレベル'),
    'the supervisor board shows both shops with answer rate and service level');
  const offered = await page.locator('section[data-merchant="hanamaru-gift"] td.offered').allTextContents();
  check(offered.map(Number).reduce((a, b) => a + b, 0) >= 1, "today's contacts are counted on the board");
  await page.screenshot({ path: `${shots}/board.png`, fullPage: true });
  await page.click('#user-menu summary');
  await page.click('#sign-out');
  await page.waitForURL(/\/login$/);

  // An agent of one shop cannot reach another shop's pages.
  const suzuki = user('agent.suzuki');
  await page.fill('input[name=login]', suzuki.login);
  await page.fill('input[name=password]', suzuki.password);
  await page.click('#sign-in');
  await page.waitForSelector('#inbox');
  const foreign = await page.goto(`${base}/desk/conversations/${call.json.id}`);
  check(foreign.status() === 404, "an agent of the produce shop gets 404 for the gift shop's conversation");
  const foreignSettings = await page.goto(`${base}/settings/hanamaru-gift`);
  check(foreignSettings.status() === 404, "…and for the gift shop's settings");
  await page.goto(`${base}/desk`);
  await page.click('#user-menu summary');
  await page.click('#sign-out');
  await page.waitForURL(/\/login$/);

  // Shop staff see their own shop only.
  const staff = user('hanamaru.staff');
  await page.fill('input[name=login]', staff.login);
  await page.fill('input[name=password]', staff.password);
  await page.click('#sign-in');
  await page.waitForURL(/\/portal$/);
  check(true, 'shop staff land on their escalations');
  await page.goto(`${base}/desk?view=all`);
  await page.waitForSelector('#inbox');
  const staffText = await page.textContent('#inbox');
  check(staffText.includes(merchantName('hanamaru-gift')) && !staffText.includes(merchantName('yasai-hatake')),
    "a shop's staff never see another shop's conversations");
  await page.click('#user-menu summary');
  await page.click('#sign-out');
  await page.waitForURL(/\/login$/);

  // The shop's admin edits its own rules in the console: a preview with the unsaved rules on
  // the order from before, then a save as the next version.
  const shopAdmin = user('hanamaru.admin');
  await page.fill('input[name=login]', shopAdmin.login);
  await page.fill('input[name=password]', shopAdmin.password);
  await page.click('#sign-in');
  await page.waitForSelector('#top-bar');
  await page.goto(`${base}/settings/hanamaru-gift/policies`);
  await page.fill('input[name="offer.1.code"]', 'freeship');
  await page.fill('input[name="offer.1.label"]', '次回のご注文の送料無料');
  await page.selectOption('#preview-order', fresh.json.id);
  await page.selectOption('#preview-request', 'cancel');
  await Promise.all([page.waitForNavigation(), page.click('#preview-button')]);
  const preview = await page.textContent('#decision');
  check(preview.includes('まだ保存されていません') && preview.includes('次回のご注文の送料無料'), 'the preview decides with the unsaved offer');
  const unsaved = await api('GET', '/api/v1/merchants/hanamaru-gift/policies', admin0);
  check(unsaved.json.version === current.json.version + 1, 'a preview saves nothing');
  await page.screenshot({ path: `${shots}/policy-preview.png`, fullPage: true });
  await Promise.all([page.waitForNavigation(), page.click('#save-policies')]);
  check(await page.isVisible('#policy-saved'), 'the edited policies are saved');
  const saved = await api('GET', '/api/v1/merchants/hanamaru-gift/policies', admin0);
  check(saved.json.version === current.json.version + 2 && saved.json.policies.cancellation.retention_offers.length === 2,
    'the save is the next version, with both offers');
  await page.click('#user-menu summary');
  await page.click('#sign-out');
  await page.waitForURL(/\/login$/);

  // Five wrong passwords lock the login with a clear message.
  const victim = user('yasai.staff');
  for (let i = 0; i < 5; i++) {
    await page.fill('input[name=login]', victim.login);
    await page.fill('input[name=password]', 'wrong-password');
    await page.click('#sign-in');
    await page.waitForSelector('#login-error');
  }
  await page.fill('input[name=login]', victim.login);
  await page.fill('input[name=password]', victim.password);
  await page.click('#sign-in');
  const lockText = await page.textContent('#login-error');
  check(lockText.includes('ロック') && lockText.includes('分後'), `the lockout is explained: ${lockText}`);
  await page.screenshot({ path: `${shots}/lockout.png` });
} catch (e) {
  failed = true;
  console.error(e.stack || String(e));
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
