// The agent's day at a live desk, in a real browser against `madoguchi demo` (started with a
// short presence timeout): starting work from the prompt, a chat offered to an agent whose tab
// then closes going to the agent who is there, a customer message arriving while a reply is
// typed (the draft stays, a marker counts it, nothing reloads), the collision warning, the
// inbox ordered by last activity with counts that match its lists, j/k and Enter, and the
// header at 1024 px. Run by crates/madoguchi/tests/browser.rs.
import { apiAs, check, launch, until } from './lib.mjs';
import { readFileSync, mkdirSync } from 'node:fs';

const base = process.env.BASE_URL;
const creds = JSON.parse(readFileSync(process.env.CREDS, 'utf8'));
const shots = process.env.SHOTS;
mkdirSync(shots, { recursive: true });
const user = (login) => creds.users.find((u) => u.login === login);
const admin = user('admin').api_token;
const api = apiAs(base, admin);



async function signIn(browser, login, width = 1280) {
  const context = await browser.newContext({ locale: 'ja-JP', viewport: { width, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', user(login).password);
  await page.click('#sign-in');
  await page.waitForSelector('#top-bar');
  return { context, page };
}

const users = (await api('GET', '/api/v1/users?limit=200')).json.items;
const idOf = (login) => users.find((u) => u.login === login).id;
const chat = async (subject) => {
  const c = await api('POST', '/api/v1/conversations', { merchant: 'yasai-hatake', channel: 'chat', subject });
  check(c.status === 201, `a chat is opened (${subject})`);
  return c.json.id;
};
const assignee = async (id) => (await api('GET', `/api/v1/conversations/${id}`)).json.conversation.assignee_id;

const browser = await launch();
let failed = false;
try {
  // Two agents start work from the prompt they get when they sign in offline.
  const sato = await signIn(browser, 'agent.sato');
  check(await sato.page.isVisible('#presence-prompt'), 'signed in offline, the agent is asked to start');
  await Promise.all([sato.page.waitForNavigation(), sato.page.click('#start-work')]);
  check(/受付可|対応中/.test(await sato.page.textContent('#shown-presence')), 'after starting, the header says 受付可 (or 対応中 with chats held)');
  check(!(await sato.page.isVisible('#presence-prompt')), 'the prompt is gone once working');
  const suzuki = await signIn(browser, 'agent.suzuki', 1024);
  await Promise.all([suzuki.page.waitForNavigation(), suzuki.page.click('#start-work')]);

  // The earlier walks left both agents holding the chats they answered (a first reply takes
  // a chat); the supervisor gives them room for more, as on a busy day.
  for (const login of ['agent.sato', 'agent.suzuki']) {
    const r = await api('PATCH', `/api/v1/users/${idOf(login)}/agent-profile`, { max_messaging: 10 });
    check(r.status === 200, `${login} may hold ten chats (${r.status})`);
  }
  // A chat is offered to one of them; that agent's tab closes without signing out.
  const first = await chat('閉じたタブの確認');
  const offered = await assignee(first);
  check(offered === idOf('agent.sato') || offered === idOf('agent.suzuki'), 'the chat is offered to an available agent');
  const [gone, there, thereLogin] = offered === idOf('agent.sato')
    ? [sato, suzuki, 'agent.suzuki'] : [suzuki, sato, 'agent.sato'];
  await gone.context.close();
  // Back in the queue, it goes to the agent who is there (or waits if they are at their limit).
  await until('the closed tab\'s ringing chat is taken back', async () => (await assignee(first)) !== offered);
  check([null, idOf(thereLogin)].includes(await assignee(first)), 'a closed tab goes offline and its unanswered chat is taken back');
  if ((await assignee(first)) === null) {
    await api('PATCH', `/api/v1/conversations/${first}`, { assignee_id: idOf(thereLogin) });
  }
  const second = await chat('次のチャット');
  check((await assignee(second)) !== offered, 'nothing more is routed to the agent whose tab closed');

  // The agent opens the chat and types a reply; the customer writes again meanwhile.
  const page = there.page;
  await page.setViewportSize({ width: 1024, height: 800 });
  await page.goto(`${base}/desk/conversations/${first}`);
  check((await page.textContent('#shown-presence')).includes('対応中'), 'holding a chat, the header says 対応中');
  await page.evaluate(() => { window.__sameDocument = true; });
  const draft = 'お待たせしております。ただいま配送状況を';
  await page.fill('#body', draft);
  const sent = await api('POST', `/api/v1/conversations/${first}/messages`, { kind: 'inbound', body_text: '追加で質問です。のしは付けられますか？' });
  check(sent.status === 201, 'the customer writes again while the reply is typed');
  await page.waitForFunction(() => document.getElementById('timeline').textContent.includes('のしは付けられますか'), null, { timeout: 15000 });
  check((await page.inputValue('#body')) === draft, 'the draft is kept while the new message appears');
  check(await page.isVisible('#new-messages'), 'a new-message marker shows');
  check((await page.locator('#timeline li.inbound.new').count()) === 1, 'the new message is marked');
  check(await page.evaluate(() => window.__sameDocument === true), 'the page did not reload');

  // A supervisor opens the same conversation: the agent is warned.
  const sv = await signIn(browser, 'sv.tanaka');
  await sv.page.goto(`${base}/desk/conversations/${first}`);
  await page.waitForSelector('#collision:not([hidden])', { timeout: 15000 });
  check((await page.textContent('#collision')).includes('田中'), 'the agent sees who else has the conversation open');
  await sv.context.close();

  // The reply goes out in place; the marker clears.
  await page.fill('#body', `${draft}確認いたします。`);
  await page.press('#body', 'Control+Enter');
  await page.waitForFunction(() => document.getElementById('body').value === '' && document.getElementById('new-messages').hidden, null, { timeout: 15000 });
  check((await page.textContent('#timeline')).includes('確認いたします。'), 'the reply is in the timeline without a reload');
  await page.screenshot({ path: `${shots}/live-conversation.png`, fullPage: true });

  // Every field from the page: a category shows its talk script at once, subject and tags
  // are saved, and what is being typed stays.
  await page.fill('#body', 'のしについて確認します');
  check(!(await page.isVisible('#script')), 'no category yet, no talk script');
  // Each field saves as it changes: a choice at once, a text when the agent moves on.
  await page.selectOption('#category', '配送');
  await page.waitForSelector('#script', { timeout: 15000 });
  check((await page.textContent('#script')).includes('伝票番号'), 'choosing 配送 shows the 配送 talk script in place, with no button');
  await page.fill('#subject', 'のし付きの配送');
  await page.fill('#tags', 'ギフト、のし');
  await page.press('#tags', 'Tab');
  await page.waitForFunction(() => document.querySelector('#conv-head h1')?.textContent.includes('のし付きの配送'), null, { timeout: 15000 });
  check(true, 'the new subject is the heading');
  await until('the fields are stored', async () => {
    const c = (await api('GET', `/api/v1/conversations/${first}`)).json.conversation;
    return c.tags.includes('のし') && c.subject === 'のし付きの配送';
  });
  const tagLine = await page.inputValue('#tags');
  check(tagLine.includes('ギフト') && tagLine.includes('のし') && tagLine.includes('、'), `the tags are shown in one line (${tagLine})`);
  check((await page.inputValue('#body')) === 'のしについて確認します', 'the draft survives saving the fields');
  check(await page.evaluate(() => window.__sameDocument === true), 'saving the fields did not reload the page');
  const saved = (await api('GET', `/api/v1/conversations/${first}`)).json.conversation;
  check(saved.category === '配送' && saved.tags.includes('のし') && saved.subject === 'のし付きの配送', 'the fields are stored');
  await page.selectOption('#category', '不良品');
  await page.waitForFunction(() => document.getElementById('script')?.textContent.includes('返品・交換の条件'), null, { timeout: 15000 });
  check(true, 'changing the category again changes the script');

  // Canned responses keep their keys: Alt+1 is the same one in every conversation; the whole
  // list narrows as the agent types.
  const key1 = (await page.textContent('.canned-item[data-key="1"]')).trim();
  await page.goto(`${base}/desk/conversations/${second}`);
  check((await page.textContent('.canned-item[data-key="1"]')).trim() === key1, `Alt+1 is ${key1} in another conversation too`);
  await page.click('#canned-all summary');
  const every = await page.locator('#canned-all li').count();
  await page.fill('#canned-filter', 'お詫び');
  const shown = await page.locator('#canned-all li:not([hidden])').count();
  check(shown >= 1 && shown < every, `typing in the list narrows it (${every} → ${shown})`);
  await page.goto(`${base}/desk/conversations/${first}`);

  // The header at 1024 px: every item stays on one line.
  const tall = await page.evaluate(() => [...document.querySelectorAll('#top-bar a, #top-bar button, #top-bar .who, #top-bar label, #top-bar summary')]
    .filter((e) => e.offsetParent !== null && e.getBoundingClientRect().height > 40).map((e) => e.textContent.trim()));
  check(tall.length === 0, `at 1024 px no header item breaks into several lines (${tall.join(', ')})`);
  const barHeight = await page.evaluate(() => document.getElementById('top-bar').getBoundingClientRect().height);
  check(barHeight < 64, `at 1024 px the header is one line (${barHeight} px)`);

  // The inbox: a customer's reply brings an old conversation to the top, live.
  await page.goto(`${base}/desk?view=all&merchant=yasai-hatake`);
  // At 1024 px the working columns are in view without scrolling sideways.
  const layout = await page.evaluate(() => ({
    page: document.documentElement.scrollWidth,
    width: window.innerWidth,
    cut: [...document.querySelectorAll('#inbox thead th')].filter((th) => th.offsetParent !== null
      && th.getBoundingClientRect().right > window.innerWidth).map((th) => th.textContent.trim()),
    heads: [...document.querySelectorAll('#inbox thead th')].filter((th) => th.offsetParent !== null).map((th) => th.textContent.trim()),
  }));
  check(layout.page <= layout.width && layout.cut.length === 0,
    `at 1024 px the inbox fits (${layout.page} of ${layout.width} px; cut: ${layout.cut.join(', ')})`);
  check(['担当', '状態', '初回応答期限'].every((h) => layout.heads.some((x) => x.includes(h))), `assignee, status and due time are shown (${layout.heads.join(' / ')})`);
  const rows = page.locator('#inbox tbody tr');
  const last = await rows.last().getAttribute('data-id');
  await api('POST', `/api/v1/conversations/${last}/messages`, { kind: 'inbound', body_text: 'その後いかがでしょうか' });
  await page.waitForFunction((id) => document.querySelector('#inbox tbody tr')?.dataset.id === id, last, { timeout: 15000 });
  check(true, "a customer's reply brings the conversation to the top of the inbox");
  await page.screenshot({ path: `${shots}/inbox-live.png` });

  // Each view's count is what the view lists.
  for (const view of ['mine', 'unassigned', 'waiting', 'escalated', 'all']) {
    await page.goto(`${base}/desk?view=${view}&merchant=yasai-hatake`);
    const count = Number(await page.textContent(`#view-${view} .count`));
    if (count <= 50) {
      const listed = await page.locator('#inbox tbody tr').count();
      check(listed === count, `view ${view}: the count ${count} is what it lists (${listed})`);
    } else {
      check((await page.locator('#inbox tbody tr').count()) === 50 && (await page.isVisible('#next-page')), `view ${view}: ${count} conversations, paged`);
    }
  }

  // The keyboard: j, j, Enter opens the second row.
  await page.goto(`${base}/desk?view=all&merchant=yasai-hatake`);
  const secondId = await page.locator('#inbox tbody tr').nth(1).getAttribute('data-id');
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  check(page.url().endsWith(`/desk/conversations/${secondId}`), 'j/k move through the inbox and Enter opens');

  // Search that leads somewhere: a phone number read out in groups opens the customer's page,
  // and hiragana typed unconverted finds what was written in kanji.
  const customers = (await api('GET', '/api/v1/customers?merchant=yasai-hatake&limit=50')).json.items;
  const withPhone = customers.find((c) => c.identities.some((i) => i.kind === 'phone'));
  const phone = withPhone.identities.find((i) => i.kind === 'phone').value; // +819012345678
  const spaced = `+81 ${phone.slice(3, 5)} ${phone.slice(5, 9)} ${phone.slice(9)}`;
  await page.goto(`${base}/desk`);
  await page.keyboard.press('/');
  await page.keyboard.type(spaced);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  check(page.url().endsWith(`/desk/customers/${withPhone.id}`), `the phone number ${spaced} opens the customer's page`);
  check((await page.locator('#customer-conversations tbody tr').count()) >= 1, "the customer's conversations are listed");
  check(!(await page.textContent('#identities')).includes('phone:'), 'contact details are labelled in Japanese');
  await page.screenshot({ path: `${shots}/customer-page.png`, fullPage: true });
  // The gift shop's mails say 届いていない; of the two agents only 佐藤 serves that shop.
  const searcher = thereLogin === 'agent.sato' ? page : (await signIn(browser, 'agent.sato')).page;
  await searcher.goto(`${base}/desk/search?q=${encodeURIComponent('とどいていない')}`);
  const found = await searcher.locator('#search-results li.result a').count();
  check(found >= 1, `とどいていない (hiragana) finds conversations written 届いていない (${found})`);
  const links = await searcher.locator('#search-results li.result a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  // Another inflection typed in kana meets them too (とどかない → 届いていない, 届きません).
  await searcher.goto(`${base}/desk/search?q=${encodeURIComponent('とどかない')}`);
  const conversations = await searcher.locator('#search-results li.result').evaluateAll(
    (lis) => lis.filter((li) => li.textContent.includes('問い合わせ')).map((li) => li.textContent));
  check(conversations.some((t) => /届いていない|届きません/.test(t)), `とどかない lists conversations with 届いていない/届きません (${conversations.length})`);
  check(new Set(links).size === links.length, 'each conversation is one row');
} catch (e) {
  console.error(e);
  failed = true;
} finally {
  await browser.close();
}
if (failed) process.exit(1);
