// Browser test of the web chat against a running `madoguchi demo`: a shop's customer opens the
// chat on the demo shop page, an agent sees the message live in the console (with the
// customer's typing) and answers, the customer sees the answer with the agent's name, and a
// reload shows the whole conversation again. On the shop whose chats start with the bot, the
// bot answers from the FAQ with quick replies and hands over when asked; the agent reads the
// exchange. Run by crates/madoguchi/tests/browser.rs.
import { check, launch } from './lib.mjs';
import { readFileSync, mkdirSync } from 'node:fs';

const base = process.env.BASE_URL;
const creds = JSON.parse(readFileSync(process.env.CREDS, 'utf8'));
const shots = process.env.SHOTS;
mkdirSync(shots, { recursive: true });
const user = (login) => creds.users.find((u) => u.login === login);

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
  const widget = creds.chat_widgets.find((w) => w.merchant === 'hanamaru-gift');
  check(Boolean(widget && widget.demo_page), 'demo-credentials.json lists the shop\'s chat demo page');
  const started = new Date(Date.now() - 1000).toISOString();

  // The shop asks for the order number and the topic before a chat starts.
  const admin = user('admin');
  const prechat = await api('PUT', '/api/v1/merchants/hanamaru-gift/channels/chat', admin.api_token,
    { ask_order_number: true, ask_category: true });
  check(prechat.status === 200, `the pre-chat questions are turned on (${prechat.status})`);

  const visitor = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 800 } });
  const shop = await visitor.newPage();
  const dialogs = [];
  shop.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  await shop.goto(widget.demo_page);
  await shop.click('#mdg-chat-button');
  await shop.waitForSelector('#mdg-chat-form:not([hidden])');
  check((await shop.textContent('#mdg-chat-shop')).length > 0, 'the widget names the shop');
  const intro = await shop.textContent('#mdg-chat-intro');
  check(/本日の受付|本日は休業日/.test(intro), `the visitor sees today's hours first: ${intro}`);
  check(await shop.isVisible('#mdg-chat-order'), 'the form asks for the order number');
  const topics = await shop.locator('#mdg-chat-category option').allTextContents();
  check(topics.length > 2 && topics[0] === '選択してください', `the form offers the shop's topics: ${topics.join(' / ')}`);
  await shop.fill('#mdg-chat-name', '<b>チャット 花子</b>');
  await shop.fill('#mdg-chat-email', 'chat.hanako@example.jp');
  await shop.selectOption('#mdg-chat-category', { index: 1 });
  await shop.fill('#mdg-chat-first', '<img src=x onerror="alert(1)">ギフトの配送日を変更できますか？');
  await shop.click('#mdg-chat-start');
  await shop.waitForSelector('#mdg-chat-log li.mdg-customer[data-id]:not(.mdg-pending)');
  // Waiting for a person, the visitor is told their place in line — unless the shop is open
  // now and nobody is at work, when the widget says so instead (admin.mjs walks that case).
  await shop.waitForSelector('#mdg-chat-queue:not([hidden])', { timeout: 15000 });
  const hours = intro.match(/(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})/);
  const jst = new Date(Date.now() + 9 * 3600 * 1000);
  const minute = jst.getUTCHours() * 60 + jst.getUTCMinutes();
  const openNow = !!hours && minute >= hours[1] * 60 + +hours[2] && minute < hours[3] * 60 + +hours[4];
  const agents = (await api('GET', '/api/v1/merchants/hanamaru-gift/agents', admin.api_token)).json;
  const queueText = await shop.textContent('#mdg-chat-queue');
  if (openNow && !agents.some((a) => a.presence === 'available')) {
    check(queueText.includes('対応できる担当者がいません'), `open with nobody at work, the visitor is told so (${queueText})`);
  } else {
    check(queueText.includes('番目'), `the visitor sees their place in line (${queueText})`);
  }
  check((await shop.textContent('#mdg-chat-log')).includes('<img src=x'), 'the visitor\'s message is shown as text');
  const clip = await shop.evaluate(() => {
    const b = document.querySelector('#mdg-chat-clip svg')?.getBoundingClientRect();
    return { drawn: !!b && b.width > 0 && b.height > 0, emoji: document.getElementById('mdg-chat-clip')?.textContent.includes('📎') };
  });
  check(clip.drawn && !clip.emoji, 'the attach button is drawn, needing no emoji font');
  check((await shop.locator('#mdg-chat-log img').count()) === 0 && dialogs.length === 0, 'no markup from a message runs in the widget');

  // The agent finds the new chat and opens it.
  const agent = user('agent.sato');
  const list = await api('GET', `/api/v1/conversations?merchant=hanamaru-gift&channel=chat&updated_since=${encodeURIComponent(started)}&limit=50`, agent.api_token);
  const conv = list.json.items.find((c) => c.created_at >= started);
  check(Boolean(conv), 'the chat is a conversation of the shop');
  const desk = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 800 } });
  const console_ = await desk.newPage();
  await console_.goto(`${base}/login`);
  await console_.fill('input[name=login]', agent.login);
  await console_.fill('input[name=password]', agent.password);
  await console_.click('#sign-in');
  await console_.waitForSelector('#inbox');
  await console_.goto(`${base}/desk/conversations/${conv.id}`);
  check((await console_.textContent('#timeline')).includes('ギフトの配送日を変更できますか'), 'the agent sees the chat message');

  // The customer types: the agent sees it.
  await shop.focus('#mdg-chat-text');
  await shop.keyboard.type('追加で');
  await console_.waitForSelector('#customer-typing:not([hidden])', { timeout: 10000 });
  check(true, "the customer's typing shows in the console");

  // The agent types and answers; the customer sees both, with the agent's name.
  await console_.fill('#body', '');
  await console_.type('#body', 'お');
  await shop.waitForSelector('#mdg-chat-typing:not([hidden])', { timeout: 10000 });
  check((await shop.textContent('#mdg-chat-typing')).includes('入力中'), "the agent's typing shows in the widget");
  await console_.fill('#body', 'お問い合わせありがとうございます。配送日の変更を承ります。');
  await console_.press('#body', 'Control+Enter');
  await console_.waitForFunction(() => document.getElementById('body').value === '', null, { timeout: 15000 });
  await shop.waitForSelector('#mdg-chat-log li.mdg-agent', { timeout: 10000 });
  const answer = await shop.textContent('#mdg-chat-log li.mdg-agent');
  check(answer.includes('配送日の変更を承ります') && answer.includes('佐藤'), `the answer reaches the widget with the agent's name: ${answer}`);
  check(await shop.isHidden('#mdg-chat-queue'), 'a person answering ends the wait in line');
  check(conv.category && topics.includes(conv.category), `the topic chosen is the conversation's category: ${conv.category}`);

  // The visitor asks for the conversation by mail.
  await shop.click('#mdg-chat-transcript');
  check((await shop.inputValue('#mdg-chat-transcript-email')) === 'chat.hanako@example.jp', 'the form\'s address is offered');
  await shop.click('#mdg-chat-transcript-form button');
  await shop.waitForSelector('#mdg-chat-notice:not([hidden])', { timeout: 10000 });
  check((await shop.textContent('#mdg-chat-notice')).includes('会話の記録をお送りします'), 'the transcript is on its way');

  // Enter sends; during an IME conversion it does not.
  await shop.fill('#mdg-chat-text', 'へんかん');
  const count = await shop.locator('#mdg-chat-log li').count();
  await shop.dispatchEvent('#mdg-chat-text', 'keydown', { key: 'Enter', isComposing: true, keyCode: 229 });
  await shop.waitForTimeout(300);
  check((await shop.locator('#mdg-chat-log li').count()) === count, 'Enter during IME composition sends nothing');
  await shop.fill('#mdg-chat-text', '12月24日着でお願いします');
  await shop.press('#mdg-chat-text', 'Enter');
  await shop.waitForFunction(() => [...document.querySelectorAll('#mdg-chat-log li.mdg-customer[data-id]')].some((li) => li.textContent.includes('12月24日着')));
  check(true, 'Enter sends a message');
  await shop.screenshot({ path: `${shots}/chat.png` });

  // A reload (another page of the shop) shows the whole conversation again, once.
  await shop.reload();
  await shop.waitForFunction(() => document.querySelectorAll('#mdg-chat-log li').length >= 3, null, { timeout: 10000 });
  const texts = await shop.locator('#mdg-chat-log li .mdg-text').allTextContents();
  const once = (s) => texts.filter((t) => t.includes(s)).length === 1;
  check(once('ギフトの配送日') && once('配送日の変更を承ります') && once('12月24日着'), `after a reload the conversation is shown again, each message once (${texts.length})`);

  // The other shop greets its chats with the bot: it answers from the FAQ with quick replies,
  // and hands over to a person when asked; the agent reads the whole exchange and the bot's note.
  const botShop = creds.chat_widgets.find((w) => w.bot);
  check(Boolean(botShop) && botShop.merchant !== 'hanamaru-gift', 'one demo shop starts its chats with the bot');
  const asker = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 800 } });
  const page = await asker.newPage();
  await page.goto(botShop.demo_page);
  await page.click('#mdg-chat-button');
  await page.waitForSelector('#mdg-chat-form:not([hidden])');
  await page.fill('#mdg-chat-name', 'ボット 質問子');
  await page.fill('#mdg-chat-email', 'bot.asker@example.jp');
  await page.fill('#mdg-chat-first', '送料っていくらかかりますか？');
  await page.click('#mdg-chat-start');
  await page.waitForSelector('#mdg-chat-log li.mdg-bot .mdg-choice', { timeout: 10000 });
  const botAnswer = await page.textContent('#mdg-chat-log li.mdg-bot');
  check(botAnswer.includes('550円') && botAnswer.includes('解決しましたか'), `the bot answers from the FAQ: ${botAnswer}`);
  check((await page.locator('#mdg-chat-log li.mdg-bot .mdg-articles a').count()) >= 1, 'the bot links related questions in the help center');
  await page.click('#mdg-chat-log .mdg-choice:has-text("いいえ")');
  await page.waitForFunction(() => [...document.querySelectorAll('#mdg-chat-log li.mdg-bot')].some((li) => li.textContent.includes('別の言葉')), null, { timeout: 10000 });
  check((await page.locator('#mdg-chat-log .mdg-choice').count()) === 1, 'only the latest bot message keeps its quick replies');
  await page.click('#mdg-chat-log .mdg-choice:has-text("オペレーター")');
  await page.waitForFunction(() => [...document.querySelectorAll('#mdg-chat-log li.mdg-bot')].some((li) => /おつなぎ|営業時間外/.test(li.textContent)), null, { timeout: 10000 });
  check(true, 'asking for a person hands the chat over');
  await page.screenshot({ path: `${shots}/chat-bot.png` });
  const handed = await api('GET', `/api/v1/conversations?merchant=${botShop.merchant}&channel=chat&updated_since=${encodeURIComponent(started)}&limit=50`, agent.api_token);
  const botConv = handed.json.items.find((c) => c.bot_outcome === 'handed_over' && c.created_at >= started);
  check(Boolean(botConv), 'the handed-over chat is in the shop\'s conversations');
  await console_.goto(`${base}/desk/conversations/${botConv.id}`);
  const timeline = await console_.textContent('#timeline');
  check(timeline.includes('送料っていくらかかりますか') && timeline.includes('550円') && timeline.includes('ボットから引き継ぎ'),
    'the agent reads the whole exchange with the bot and its note');
  await asker.close();
  await desk.close();
  await visitor.close();
} catch (e) {
  failed = true;
  console.error(e.stack || String(e));
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
