// Keyboard help for the composer. Ctrl+Enter (⌘+Enter) records the reply; plain Enter adds a
// line. While a Japanese IME is composing, no key ever submits: Enter there confirms the
// conversion, and keyCode 229 is what browsers report during composition.
document.addEventListener('keydown', (e) => {
  const box = e.target;
  if (!(box instanceof HTMLTextAreaElement) || box.id !== 'body') return;
  if (e.isComposing || e.keyCode === 229) return;
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    document.getElementById('send-reply')?.click();
  }
});

// Live updates: the server says which conversation changed; the inbox re-reads itself in
// place, and an open conversation reloads when it changed and nothing is being typed.
(() => {
  const area = document.getElementById('inbox-area') || document.getElementById('portal-area');
  const open = document.querySelector('[data-conversation]');
  if (!area && !open) return;
  const events = new EventSource('/desk/events');
  // A web-chat visitor typing in the open conversation.
  const customerTyping = document.getElementById('customer-typing');
  events.addEventListener('typing', (e) => {
    if (!open || !customerTyping || e.data !== open.dataset.conversation) return;
    customerTyping.hidden = false;
    clearTimeout(customerTyping.timer);
    customerTyping.timer = setTimeout(() => { customerTyping.hidden = true; }, 5000);
  });
  events.addEventListener('changed', async (e) => {
    if (area) {
      const res = await fetch(location.href, { credentials: 'same-origin' });
      if (!res.ok) return;
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      const fresh = doc.getElementById(area.id);
      const current = document.getElementById(area.id);
      const typing = [...current.querySelectorAll('textarea')].some((t) => t.value.trim() !== '');
      if (fresh && !typing) current.replaceWith(fresh);
    } else if (open && e.data === open.dataset.conversation) {
      const typing = [...document.querySelectorAll('textarea')].some((t) => t.value.trim() !== '');
      const busy = typing || ['SELECT', 'INPUT'].includes(document.activeElement?.tagName);
      if (!busy) location.reload();
    }
  });
})();

// The supervisor board re-reads itself every few seconds (presence changes are not
// conversation changes, so it does not wait for the event stream).
(() => {
  const board = document.getElementById('board-area');
  if (!board) return;
  setInterval(async () => {
    const res = await fetch(location.href, { credentials: 'same-origin' });
    if (!res.ok) return;
    const fresh = new DOMParser().parseFromString(await res.text(), 'text/html').getElementById('board-area');
    if (fresh) document.getElementById('board-area').replaceWith(fresh);
  }, Number(board.dataset.refresh || 5) * 1000);
})();

// Canned responses: a click or Alt+number inserts the (already filled) text at the cursor.
(() => {
  const body = document.getElementById('body');
  if (!body) return;
  const insert = (text) => {
    const at = body.selectionStart ?? body.value.length;
    body.value = body.value.slice(0, at) + text + body.value.slice(body.selectionEnd ?? at);
    body.focus();
    body.selectionStart = body.selectionEnd = at + text.length;
  };
  document.querySelectorAll('.canned-item, .assist-item').forEach((b) => b.addEventListener('click', () => insert(b.dataset.text)));
  document.addEventListener('keydown', (e) => {
    if (!e.altKey || e.isComposing || e.keyCode === 229 || !/^[1-9]$/.test(e.key)) return;
    const b = document.querySelector(`.canned-item[data-key="${e.key}"]`);
    if (b) { e.preventDefault(); insert(b.dataset.text); }
  });
})();

// After-contact-work timer: runs from the moment the page opens until the wrap-up is recorded.
(() => {
  const timer = document.getElementById('acw-timer');
  const field = document.getElementById('acw-seconds');
  if (!timer || !field) return;
  const started = Date.now();
  const tick = () => {
    const s = Math.floor((Date.now() - started) / 1000);
    timer.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
    field.value = String(s);
  };
  tick();
  setInterval(tick, 1000);
})();

// In web chat the visitor sees that the agent is typing (at most one signal every 3 seconds).
(() => {
  const open = document.querySelector('[data-conversation][data-channel="chat"]');
  const body = document.getElementById('body');
  const csrf = document.querySelector('#composer input[name="csrf"]');
  if (!open || !body || !csrf) return;
  let last = 0;
  body.addEventListener('input', () => {
    if (Date.now() - last < 3000) return;
    last = Date.now();
    fetch(`/desk/conversations/${open.dataset.conversation}/typing`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: csrf.value }),
    });
  });
})();
