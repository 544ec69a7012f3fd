// The console's one script. Every part is progressive: without it the pages still work as
// plain forms and links.

const csrfToken = () => document.getElementById('top-bar')?.dataset.csrf || '';
const parseHtml = (text) => new DOMParser().parseFromString(text, 'text/html');
const typedSomething = (root) => [...root.querySelectorAll('textarea')].some((t) => t.value.trim() !== '');

// With this script the presence is saved as it is chosen (its 変更 button is for pages without).
document.documentElement.classList.add('js');
document.addEventListener('change', (e) => {
  if (e.target.id === 'presence') e.target.form?.requestSubmit();
});

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

// Notifications, opt-in per browser: a short tone and, while the tab is in the background, a
// desktop notification.
const notifier = (() => {
  const toggle = document.getElementById('notify-toggle');
  const key = 'madoguchi.notify';
  if (toggle) {
    toggle.checked = localStorage.getItem(key) === '1';
    toggle.addEventListener('change', async () => {
      localStorage.setItem(key, toggle.checked ? '1' : '0');
      if (toggle.checked && 'Notification' in window && Notification.permission === 'default') {
        await Notification.requestPermission();
      }
    });
  }
  return (title, body) => {
    if (localStorage.getItem(key) !== '1') return;
    try {
      const ctx = new AudioContext();
      const tone = ctx.createOscillator();
      tone.frequency.value = 880;
      tone.connect(ctx.destination);
      tone.start();
      tone.stop(ctx.currentTime + 0.15);
    } catch (_) { /* no audio device */ }
    if (document.hidden && 'Notification' in window && Notification.permission === 'granted') {
      new Notification(title, { body });
    }
  };
})();

// Heartbeat: every console page says it is still open, so the desk knows the agent is there
// (a closed tab or a lost network goes offline after the server's timeout). On a
// conversation it also says whether the agent is typing, and hears who else is there.
(() => {
  const bar = document.getElementById('top-bar');
  if (!bar) return;
  const open = document.querySelector('[data-conversation]')?.dataset.conversation || '';
  const collision = document.getElementById('collision');
  const shown = document.getElementById('shown-presence');
  let replying = false;
  const beat = async () => {
    const body = new URLSearchParams({ csrf: csrfToken(), conversation: open, replying: replying ? '1' : '' });
    replying = false;
    let res;
    try {
      res = await fetch('/desk/heartbeat', { method: 'POST', body, credentials: 'same-origin' });
    } catch (_) { return; } // offline for now; the next beat tries again
    if (res.status === 401) { location.href = '/login'; return; }
    if (!res.ok) return;
    const state = await res.json();
    if (shown && shown.dataset.code !== state.presence) {
      shown.textContent = state.presence_label;
      shown.className = `presence-dot ${state.presence}`;
      shown.dataset.code = state.presence;
    }
    if (collision) {
      collision.textContent = state.collision;
      collision.hidden = state.collision === '';
    }
  };
  document.getElementById('body')?.addEventListener('input', () => {
    if (!replying) { replying = true; beat(); }
  });
  beat();
  setInterval(beat, Number(bar.dataset.heartbeat || 15) * 1000);
  window.addEventListener('pagehide', () => {
    if (open) navigator.sendBeacon('/desk/heartbeat', new URLSearchParams({ csrf: csrfToken(), conversation: open, leaving: '1' }));
  });
})();

// The conversation page is live. What changes (timeline, delivery states, status, assignee,
// escalations, wrap-ups) is re-read from the server and swapped in place, region by region;
// the composer is never replaced, so a reply being typed survives anything that arrives.
// Actions submit in the background. New customer messages get a marker and a counter.
const conversationPage = (() => {
  const root = document.querySelector('[data-conversation]');
  if (!root) return null;
  const id = root.dataset.conversation;
  const body = document.getElementById('body');
  const badge = document.getElementById('new-messages');
  const sendError = document.getElementById('send-error');
  const draftKey = `madoguchi.draft.${id}`;
  const inbound = (doc) => doc.querySelectorAll('#timeline li.inbound').length;
  let known = inbound(document);
  let unseen = 0;

  // A draft survives a reload or a closed tab (per conversation, in this browser only).
  if (body) {
    if (!body.value) body.value = sessionStorage.getItem(draftKey) || '';
    body.addEventListener('input', () => sessionStorage.setItem(draftKey, body.value));
  }
  // A region holding a form the agent started changing is not replaced under them. The
  // listener is on the document: regions are new elements after every swap.
  const markEdited = (e) => {
    const region = e.target.closest?.('[data-region="unless-edited"]');
    if (region) {
      region.dataset.edited = '1';
      region.dataset.seq = String(Number(region.dataset.seq || 0) + 1);
    }
  };
  document.addEventListener('change', markEdited);
  document.addEventListener('input', markEdited);
  // The conversation's fields save as they change (a choice at once, a text when the agent
  // leaves it or presses Enter); the 更新 button is only for pages without this script.
  document.body.classList.add('autosave');
  document.addEventListener('change', (e) => {
    const form = e.target.closest?.('#update');
    if (form && e.target.name) form.requestSubmit();
  });

  const showUnseen = () => {
    if (!badge) return;
    badge.hidden = unseen === 0;
    badge.querySelector('.count').textContent = unseen > 0 ? `(${unseen})` : '';
  };
  badge?.addEventListener('click', () => {
    document.querySelector('#timeline li.inbound.new')?.scrollIntoView({ block: 'center' });
    unseen = 0;
    showUnseen();
  });

  // `submitted`: the form whose answer this is, shown as the server now has it.
  const swap = (doc, submitted) => {
    for (const fresh of doc.querySelectorAll('[data-region]')) {
      const current = document.getElementById(fresh.id);
      if (!current) continue;
      // A form the agent started changing keeps what they chose.
      const busy = current.dataset.edited || current.contains(document.activeElement);
      if (current.dataset.region === 'unless-edited' && busy && current.id !== submitted) continue;
      current.replaceWith(fresh);
    }
    const now = inbound(document);
    if (now > known) {
      const items = [...document.querySelectorAll('#timeline li.inbound')];
      items.slice(known).forEach((li) => li.classList.add('new'));
      unseen += now - known;
      showUnseen();
      // The message the visitor was typing has arrived: they are no longer typing.
      const typing = document.getElementById('customer-typing');
      if (typing) typing.hidden = true;
      notifier(document.title, items[items.length - 1]?.querySelector('.body')?.textContent || '');
    }
    known = now;
    acwTimer();
  };
  const refresh = async () => {
    const res = await fetch(`/desk/conversations/${id}`, { credentials: 'same-origin' });
    if (res.ok) swap(parseHtml(await res.text()));
  };

  document.addEventListener('submit', async (e) => {
    const form = e.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-live')) return;
    e.preventDefault();
    const data = new FormData(form);
    if (e.submitter?.name) data.append(e.submitter.name, e.submitter.value);
    // What the agent had changed when this was sent: a field changed since is not undone by
    // the answer to an earlier save.
    const seqAtSubmit = form.dataset.seq;
    const buttons = [...form.querySelectorAll('button')];
    buttons.forEach((b) => { b.disabled = true; });
    try {
      // A form with files goes as it is; the others as a plain form.
      const payload = form.enctype === 'multipart/form-data' ? data : new URLSearchParams(data);
      const res = await fetch(form.action, { method: 'POST', body: payload, credentials: 'same-origin' });
      if (!res.ok) throw new Error(String(res.status));
      const doc = parseHtml(await res.text());
      sendError.hidden = true;
      const refused = !!doc.getElementById('page-error');
      if (form.id === 'composer' && refused) {
        // Refused (a copy that is not an address, a file too large): what was typed stays.
      } else if (form.id === 'composer') {
        form.querySelectorAll('input[type=file], #mail-subject, #mail-cc, #mail-bcc').forEach((f) => { f.value = ''; });
        body.value = '';
        sessionStorage.removeItem(draftKey);
        unseen = 0;
        showUnseen();
        document.querySelectorAll('#timeline li.new').forEach((li) => li.classList.remove('new'));
      } else if (form.id === 'update' || form.closest('#customer')) {
        if (form.dataset.seq === seqAtSubmit) delete form.dataset.edited;
      } else if (form.id !== 'end-contact') {
        form.querySelectorAll('textarea, input[type=text], input:not([type])').forEach((f) => { f.value = ''; });
      }
      const changedSince = form.id === 'update' && form.dataset.seq !== seqAtSubmit;
      swap(doc, changedSince ? null : (form.closest('[data-region]')?.id || form.id));
      // The page the action led to says whether it was refused (e.g. wrap-up first).
      if (doc.getElementById('page-error')) document.getElementById('page-errors')?.scrollIntoView({ block: 'center' });
    } catch (_) {
      // Nothing typed is lost: the form keeps its values.
      sendError.hidden = false;
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
  // A mail reply's preview: who gets it, its subject and files, and the text as sent.
  document.addEventListener('click', (e) => {
    const open = e.target.closest('#mail-preview-open');
    if (open) {
      const form = open.closest('form');
      const dialog = document.getElementById('mail-preview');
      const typed = form.querySelector('#mail-subject')?.value.trim();
      const ticket = (open.dataset.subject.match(/\[#\d+\]$/) || [''])[0];
      const subject = typed ? (typed.includes(ticket) ? typed : `${typed} ${ticket}`) : open.dataset.subject;
      const set = (sel, v) => { dialog.querySelector(sel).textContent = v || '—'; };
      set('#preview-to', open.dataset.to);
      set('#preview-cc', form.querySelector('#mail-cc')?.value.trim());
      set('#preview-bcc', form.querySelector('#mail-bcc')?.value.trim());
      set('#preview-subject', subject);
      set('#preview-files', [...(form.querySelector('#reply-files')?.files || [])].map((f) => f.name).join('、'));
      set('#preview-body', form.querySelector('#body').value);
      dialog.showModal();
    }
    if (e.target.closest('#mail-preview-close')) document.getElementById('mail-preview').close();
  });
  return { id, refresh };
})();

// After-contact work, counted from when the contact ended (a time the server keeps), so a
// reload or another agent's screen shows the same figure.
function acwTimer() {
  const timer = document.getElementById('acw-timer');
  if (!timer) return;
  const start = Number(timer.dataset.start || 0);
  clearInterval(acwTimer.every);
  if (!start) { timer.textContent = '—'; return; }
  const tick = () => {
    const s = Math.max(0, Math.floor((Date.now() - start) / 1000));
    timer.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  };
  tick();
  acwTimer.every = setInterval(tick, 1000);
}
acwTimer();

// Live updates: the server says which conversation changed. The inbox re-reads its list in
// place; the open conversation re-reads its regions.
(() => {
  const area = document.getElementById('inbox-area') || document.getElementById('portal-area');
  if (!area && !conversationPage) return;
  const events = new EventSource('/desk/events');
  // A web-chat visitor typing in the open conversation.
  const customerTyping = document.getElementById('customer-typing');
  events.addEventListener('typing', (e) => {
    if (!conversationPage || !customerTyping || e.data !== conversationPage.id) return;
    customerTyping.hidden = false;
    clearTimeout(customerTyping.timer);
    customerTyping.timer = setTimeout(() => { customerTyping.hidden = true; }, 5000);
  });
  let pending = null;
  events.addEventListener('changed', (e) => {
    if (conversationPage) {
      if (e.data === conversationPage.id) conversationPage.refresh();
      return;
    }
    // Several conversations change at once: the list is read once for all of them.
    clearTimeout(pending);
    pending = setTimeout(refreshList, 150);
  });
  const refreshList = async () => {
    const res = await fetch(location.href, { credentials: 'same-origin' });
    if (!res.ok) return;
    const fresh = parseHtml(await res.text()).getElementById(area.id);
    const current = document.getElementById(area.id);
    if (!fresh || typedSomething(current)) return;
    const before = new Set([...current.querySelectorAll('tr[data-mine]')].map((r) => r.dataset.id));
    const selected = current.querySelector('tr.selected')?.dataset.id;
    current.replaceWith(fresh);
    if (selected) fresh.querySelector(`tr[data-id="${selected}"]`)?.classList.add('selected');
    const arrived = [...fresh.querySelectorAll('tr[data-mine]')].filter((r) => !before.has(r.dataset.id));
    if (arrived.length > 0) notifier(document.title, arrived[0].querySelector('.subject')?.textContent || '');
  };
})();

// The supervisor board re-reads itself every few seconds (presence changes are not
// conversation changes, so it does not wait for the event stream).
(() => {
  const board = document.getElementById('board-area');
  if (!board) return;
  setInterval(async () => {
    const res = await fetch(location.href, { credentials: 'same-origin' });
    if (!res.ok) return;
    const fresh = parseHtml(await res.text()).getElementById('board-area');
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
    body.dispatchEvent(new Event('input'));
  };
  document.querySelectorAll('.canned-item, .canned-pick, .assist-item').forEach((b) => b.addEventListener('click', () => insert(b.dataset.text)));
  // The whole list, narrowed as the agent types (folder, title or text; width and case folded).
  const filter = document.getElementById('canned-filter');
  const fold = (t) => t.normalize('NFKC').toLowerCase();
  filter?.addEventListener('input', () => {
    const q = fold(filter.value.trim());
    document.querySelectorAll('#canned-all li').forEach((li) => { li.hidden = q !== '' && !fold(li.dataset.search).includes(q); });
  });
  document.addEventListener('keydown', (e) => {
    if (!e.altKey || e.isComposing || e.keyCode === 229 || !/^[1-9]$/.test(e.key)) return;
    const b = document.querySelector(`.canned-item[data-key="${e.key}"]`);
    if (b) { e.preventDefault(); insert(b.dataset.text); }
  });
})();

// The inbox by keyboard: j/k move, Enter opens, / goes to search. Never while typing.
(() => {
  if (!document.getElementById('inbox-area')) return;
  const rows = () => [...document.querySelectorAll('#inbox tbody tr')];
  const move = (step) => {
    const all = rows();
    if (all.length === 0) return;
    const at = all.findIndex((r) => r.classList.contains('selected'));
    const next = all[Math.min(all.length - 1, Math.max(0, at + step))] || all[0];
    all.forEach((r) => r.classList.remove('selected'));
    next.classList.add('selected');
    next.scrollIntoView({ block: 'nearest' });
  };
  document.addEventListener('keydown', (e) => {
    const tag = document.activeElement?.tagName;
    if (['INPUT', 'TEXTAREA', 'SELECT'].includes(tag) || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    if (e.key === 'j') { move(1); e.preventDefault(); }
    else if (e.key === 'k') { move(-1); e.preventDefault(); }
    else if (e.key === 'Enter') {
      const link = document.querySelector('#inbox tr.selected a');
      if (link) { e.preventDefault(); link.click(); }
    } else if (e.key === '/') { e.preventDefault(); document.getElementById('desk-search')?.focus(); }
  });
})();

// In web chat the visitor sees that the agent is typing (at most one signal every 3 seconds).
(() => {
  const open = document.querySelector('[data-conversation][data-channel="chat"]');
  const body = document.getElementById('body');
  if (!open || !body) return;
  let last = 0;
  body.addEventListener('input', () => {
    if (Date.now() - last < 3000) return;
    last = Date.now();
    fetch(`/desk/conversations/${open.dataset.conversation}/typing`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: csrfToken() }),
    });
  });
})();

// Deleting asks first: a form (or its button) with data-confirm submits only once confirmed.
document.addEventListener('submit', (e) => {
  const ask = e.submitter?.dataset.confirm || e.target.dataset?.confirm;
  if (ask && !window.confirm(ask)) { e.preventDefault(); e.stopImmediatePropagation(); }
}, true);

// A mail reply in the shop's words: its opening above what is typed, its signature below.
document.getElementById('mail-frame')?.addEventListener('click', (e) => {
  const body = document.getElementById('body');
  const { opening, signature } = e.currentTarget.dataset;
  const typed = body.value.trim();
  body.value = [opening, typed, signature ? `\n${signature}` : ''].filter((p) => p).join('\n\n');
  body.dispatchEvent(new Event('input'));
  body.focus();
});
