// Madoguchi web chat. A shop embeds it with one tag:
//   <script src="https://DESK/chat/SHOP/widget.js" async></script>
// and, for a logged-in customer, data-customer-id and data-customer-signature (the hex
// HMAC-SHA256 of the id with the shop's chat secret, computed on the shop's server).
// Everything shown is set as text, never as HTML. Messages not yet acknowledged by the server
// are kept and sent again after a reconnect; the server stores each one once.
(() => {
  const script = document.currentScript;
  if (!script || window.__madoguchiChat) return;
  window.__madoguchiChat = true;
  const src = new URL(script.src, location.href);
  const base = src.origin;
  const slug = decodeURIComponent(src.pathname.split('/')[2] || '');
  const ds = script.dataset;
  const lang = (ds.lang || document.documentElement.lang || navigator.language || 'ja').startsWith('en') ? 'en' : 'ja';
  const key = `madoguchi-chat:${slug}`;
  const MAX_IMAGE = 5 * 1024 * 1024;
  // The shop's colour, written in by the server when it serves this script.
  const ACCENT = '__MADOGUCHI_ACCENT__';

  const T = {
    ja: {
      open: 'チャットで問い合わせ', title: 'チャットサポート', close: '閉じる',
      online: '対応中', offline: '営業時間外 — メッセージをお預かりします', reconnecting: '再接続しています…',
      nobody: 'ただいま担当者が不在です — メッセージをお預かりします',
      emailOffered: 'メールアドレス（入力いただくとメールでお返事します）',
      name: 'お名前', email: 'メールアドレス', emailRequired: 'メールアドレス（必須）', message: 'ご用件',
      start: 'チャットを始める', send: '送信', image: '画像を送る', placeholder: 'メッセージを入力（Enterで送信、Shift+Enterで改行）',
      typing: (n) => `${n || '担当者'}が入力中…`, sending: '送信中', failed: '送信できませんでした',
      closed: 'このチャットは終了しました。メッセージを送ると新しいお問い合わせになります。',
      you: 'あなた', agent: '担当', system: 'お知らせ', bot: '自動応答', related: '関連する質問',
      hoursToday: (h) => `本日の受付 ${h}`, closedToday: '本日は休業日です',
      nextOpen: (d) => `次の受付開始: ${d}`, wait: (m) => `ただいまの待ち時間の目安: 約${m}分`,
      queue: (p, m) => (m ? `順番にご案内しています。あと${p}番目、約${m}分でおつなぎします。` : `順番にご案内しています。あと${p}番目です。`),
      orderNumber: '注文番号（わかれば）', category: 'お問い合わせの種類', choose: '選択してください',
      transcript: 'この会話をメールで受け取る', transcriptSend: '送る', transcriptEmail: 'メールアドレス',
      transcriptQueued: (e) => `${e} 宛てに会話の記録をお送りします。`,
      nobodyWaiting: 'ただいま対応できる担当者がいません。メッセージはお預かりしています。メールでのお返事をご希望でしたら、アドレスをお知らせください。',
      mailReply: 'メールで返事を受け取る', mailReplyNoted: (e) => `担当者より ${e} 宛てにメールでもお返事します。この画面を閉じても大丈夫です。`,
      errors: {
        invalid_signature: '会員情報を確認できませんでした。ページを再読み込みしてください。',
        invalid_customer_id: '会員情報を確認できませんでした。',
        name_required: 'お名前を入力してください。', invalid_email: 'メールアドレスの形式が正しくありません。',
        email_required: '営業時間外のため、ご返信用のメールアドレスを入力してください。',
        form_required: '先にお名前とご用件を入力してください。', empty_message: 'メッセージが空です。',
        message_too_long: 'メッセージは5000文字までです。', rate_limited: '送信が多すぎます。少し待ってからお送りください。',
        image_too_large: '画像は5MBまでです。', not_an_image: 'PNG・JPEG・GIF・WebPの画像のみ送れます。',
        bad_image: '画像を読み取れませんでした。', store_failed: '保存できませんでした。自動で再送します。',
        unavailable: '現在チャットをご利用いただけません。', other: 'エラーが発生しました。',
        invalid_order_number: '注文番号は40文字までで入力してください。', invalid_category: 'お問い合わせの種類を一覧から選んでください。',
        no_conversation: 'まだ会話がありません。', transcript_unavailable: 'このショップは会話の記録をメールでお送りしていません。',
      },
    },
    en: {
      open: 'Chat with us', title: 'Chat support', close: 'Close',
      online: 'Online', offline: 'Closed now — leave a message', reconnecting: 'Reconnecting…',
      nobody: 'Nobody is available now — leave a message',
      emailOffered: 'Email (so that we can answer by email)',
      name: 'Name', email: 'Email', emailRequired: 'Email (required)', message: 'How can we help?',
      start: 'Start chat', send: 'Send', image: 'Send an image', placeholder: 'Type a message (Enter sends, Shift+Enter for a new line)',
      typing: (n) => `${n || 'An agent'} is typing…`, sending: 'Sending', failed: 'Not sent',
      closed: 'This chat has ended. A new message starts a new one.',
      you: 'You', agent: 'Agent', system: 'Notice', bot: 'Bot', related: 'Related questions',
      hoursToday: (h) => `Open today ${h} (JST)`, closedToday: 'Closed today',
      nextOpen: (d) => `Opens next: ${d}`, wait: (m) => `Current wait: about ${m} min`,
      queue: (p, m) => (m ? `You are number ${p} in line; about ${m} min.` : `You are number ${p} in line.`),
      orderNumber: 'Order number (if you have it)', category: 'Topic', choose: 'Choose one',
      transcript: 'Email me this conversation', transcriptSend: 'Send', transcriptEmail: 'Email',
      transcriptQueued: (e) => `A transcript is on its way to ${e}.`,
      nobodyWaiting: 'Nobody is available right now. Your message is saved; leave your email if you would like an answer by email.',
      mailReply: 'Answer me by email', mailReplyNoted: (e) => `We will also answer by email at ${e}. You may close this window.`,
      errors: {
        invalid_signature: 'Your member details could not be verified. Please reload the page.',
        invalid_customer_id: 'Your member details could not be verified.',
        name_required: 'Please enter your name.', invalid_email: 'That email address is not valid.',
        email_required: 'We are closed now: please leave an email address so we can answer.',
        form_required: 'Please fill in your name and message first.', empty_message: 'The message is empty.',
        message_too_long: 'Messages are at most 5000 characters.', rate_limited: 'Too many messages. Please wait a moment.',
        image_too_large: 'Images are at most 5 MB.', not_an_image: 'Only PNG, JPEG, GIF and WebP images can be sent.',
        bad_image: 'The image could not be read.', store_failed: 'Not saved. It will be sent again.',
        unavailable: 'Chat is not available right now.', other: 'Something went wrong.',
        invalid_order_number: 'Order numbers are at most 40 characters.', invalid_category: 'Please choose a topic from the list.',
        no_conversation: 'There is no conversation yet.', transcript_unavailable: 'This shop does not send transcripts by email.',
      },
    },
  }[lang];

  const saved = (() => { try { return JSON.parse(localStorage.getItem(key) || '{}'); } catch { return {}; } })();
  const state = { token: saved.token || null, lastSeen: saved.lastSeen || null, pending: saved.pending || {} };
  const save = () => { try { localStorage.setItem(key, JSON.stringify(state)); } catch { /* private mode */ } };
  const newId = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`);

  const el = (tag, props = {}, ...children) => {
    const e = document.createElement(tag);
    Object.assign(e, props);
    children.forEach((c) => e.append(c));
    return e;
  };

  const css = el('link', { rel: 'stylesheet', href: `${base}/chat/widget.css` });
  document.head.append(css);
  const button = el('button', { id: 'mdg-chat-button', type: 'button', textContent: T.open });
  const status = el('span', { id: 'mdg-chat-status' });
  const closeBtn = el('button', { type: 'button', className: 'mdg-close', textContent: '×', title: T.close });
  closeBtn.setAttribute('aria-label', T.close);
  const shop = el('strong', { id: 'mdg-chat-shop', textContent: T.title });
  const log = el('ol', { id: 'mdg-chat-log' });
  log.setAttribute('role', 'log');
  log.setAttribute('aria-live', 'polite');
  const typing = el('p', { id: 'mdg-chat-typing', hidden: true });
  const notice = el('p', { id: 'mdg-chat-notice', hidden: true });
  // The shop's greeting, today's hours and the expected wait, above the conversation.
  const intro = el('div', { id: 'mdg-chat-intro', hidden: true });
  const greeting = el('p', { id: 'mdg-chat-greeting' });
  const hours = el('p', { id: 'mdg-chat-hours' });
  const wait = el('p', { id: 'mdg-chat-wait' });
  intro.append(greeting, hours, wait);
  const queue = el('p', { id: 'mdg-chat-queue', hidden: true });
  queue.setAttribute('role', 'status');
  const error = el('p', { id: 'mdg-chat-error', hidden: true });
  error.setAttribute('role', 'alert');
  const fName = el('input', { id: 'mdg-chat-name', autocomplete: 'name', required: true, maxLength: 100 });
  const fEmail = el('input', { id: 'mdg-chat-email', type: 'email', autocomplete: 'email' });
  const fEmailLabel = el('span', { textContent: T.email });
  const fText = el('textarea', { id: 'mdg-chat-first', rows: 3, required: true });
  const fOrder = el('input', { id: 'mdg-chat-order', maxLength: 40, autocomplete: 'off' });
  const fOrderLabel = el('label', { hidden: true }, el('span', { textContent: T.orderNumber }), fOrder);
  const fCategory = el('select', { id: 'mdg-chat-category' });
  const fCategoryLabel = el('label', { hidden: true }, el('span', { textContent: T.category }), fCategory);
  const form = el('form', { id: 'mdg-chat-form', hidden: true },
    el('label', {}, el('span', { textContent: T.name }), fName),
    el('label', {}, fEmailLabel, fEmail),
    fOrderLabel, fCategoryLabel,
    el('label', {}, el('span', { textContent: T.message }), fText),
    el('button', { type: 'submit', id: 'mdg-chat-start', textContent: T.start }));
  const text = el('textarea', { id: 'mdg-chat-text', rows: 2, placeholder: T.placeholder });
  const file = el('input', { id: 'mdg-chat-file', type: 'file', accept: 'image/png,image/jpeg,image/gif,image/webp' });
  // A paper clip drawn, not the emoji: a site without an emoji font showed an empty box.
  const clip = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  clip.setAttribute('viewBox', '0 0 24 24');
  clip.setAttribute('width', '20');
  clip.setAttribute('height', '20');
  clip.setAttribute('aria-hidden', 'true');
  const clipPath = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  clipPath.setAttribute('d', 'M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5');
  clipPath.setAttribute('fill', 'none');
  clipPath.setAttribute('stroke', 'currentColor');
  clipPath.setAttribute('stroke-width', '1.8');
  clipPath.setAttribute('stroke-linecap', 'round');
  clip.append(clipPath);
  const fileLabel = el('label', { className: 'mdg-file', title: T.image, id: 'mdg-chat-clip' }, clip, file);
  const send = el('button', { id: 'mdg-chat-send', type: 'submit', textContent: T.send });
  const composer = el('form', { id: 'mdg-chat-composer', hidden: true }, text, fileLabel, send);
  // The transcript by mail: a link that opens a one-field form.
  const tEmail = el('input', { id: 'mdg-chat-transcript-email', type: 'email', autocomplete: 'email', required: true });
  tEmail.setAttribute('aria-label', T.transcriptEmail);
  const tForm = el('form', { id: 'mdg-chat-transcript-form', hidden: true }, tEmail,
    el('button', { type: 'submit', textContent: T.transcriptSend }));
  const tOpen = el('button', { type: 'button', id: 'mdg-chat-transcript', className: 'mdg-link', textContent: T.transcript, hidden: true });
  // While nobody is at work to take a waiting chat: an address to be answered at by mail.
  const mEmail = el('input', { id: 'mdg-chat-reply-email', type: 'email', autocomplete: 'email', required: true });
  mEmail.setAttribute('aria-label', T.transcriptEmail);
  const mForm = el('form', { id: 'mdg-chat-reply-form', hidden: true }, mEmail,
    el('button', { type: 'submit', textContent: T.mailReply }));
  const panel = el('section', { id: 'mdg-chat-panel', hidden: true },
    el('header', {}, el('div', {}, shop, status), closeBtn), intro, log, queue, mForm, typing, notice, error, form, composer, tOpen, tForm);
  panel.setAttribute('aria-label', T.title);
  [button, panel].forEach((e) => e.style.setProperty('--mdg-accent', ACCENT));
  document.body.append(button, panel);

  const shown = new Set();
  const bubbles = {};
  const time = (iso) => new Date(iso).toLocaleTimeString(lang === 'ja' ? 'ja-JP' : 'en-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Tokyo' });
  const scroll = () => { log.scrollTop = log.scrollHeight; };
  const showError = (code) => {
    error.textContent = T.errors[code] || T.errors.other;
    error.hidden = false;
  };

  const minutes = (s) => Math.max(1, Math.round(s / 60));
  const dateTime = (iso) => new Date(iso).toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-GB', {
    month: 'numeric', day: 'numeric', weekday: 'short', hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Tokyo',
  });

  const bubble = (author, who, body, at, files, localImage) => {
    const li = el('li', { className: `mdg-msg mdg-${author}` });
    if (who) li.append(el('span', { className: 'mdg-who', textContent: who }));
    li.append(el('span', { className: 'mdg-text', textContent: body }));
    (files || []).forEach((f) => {
      const url = `${base}${f.url}`;
      // Pictures are shown; documents (a PDF, a spreadsheet the agent sent) are links.
      const picture = /\.(png|jpe?g|gif|webp)$/i.test(f.filename);
      li.append(el('a', { href: url, target: '_blank', rel: 'noopener', className: picture ? '' : 'mdg-file-link' },
        picture ? el('img', { src: url, alt: f.filename, className: 'mdg-img' }) : `📄 ${f.filename}`));
    });
    if (localImage) li.append(el('img', { src: localImage, alt: '', className: 'mdg-img' }));
    li.append(el('time', { textContent: at ? time(at) : T.sending }));
    log.append(li);
    scroll();
    return li;
  };

  // The bot's articles (links to the shop's help center) and its quick replies (buttons that
  // send their text as the visitor's message).
  const extras = (li, m) => {
    const time_ = li.querySelector('time');
    if ((m.articles || []).length > 1) {
      const list = el('ul', { className: 'mdg-articles' });
      m.articles.slice(1).forEach((a) => list.append(el('li', {}, el('a', { href: `${base}${a.url}`, target: '_blank', rel: 'noopener', textContent: a.question }))));
      li.insertBefore(el('span', { className: 'mdg-who', textContent: T.related }), time_);
      li.insertBefore(list, time_);
    }
    if ((m.choices || []).length) {
      const row = el('div', { className: 'mdg-choices' });
      m.choices.forEach((c) => {
        const b = el('button', { type: 'button', className: 'mdg-choice', textContent: c });
        b.addEventListener('click', () => { row.remove(); submit({ type: 'message', text: c }); });
        row.append(b);
      });
      li.insertBefore(row, time_);
    }
  };

  const render = (m) => {
    if (shown.has(m.id)) return;
    shown.add(m.id);
    const mine = m.client_id && bubbles[m.client_id];
    if (mine) {
      mine.dataset.id = m.id;
      mine.classList.remove('mdg-pending', 'mdg-failed');
      mine.querySelector('time').textContent = time(m.at);
    } else {
      const who = { customer: T.you, agent: m.name ? `${T.agent}: ${m.name}` : T.agent, system: T.system, bot: T.bot }[m.author];
      const li = bubble(m.author, who, m.text, m.at, m.files);
      li.dataset.id = m.id;
      extras(li, m);
    }
    // Quick replies answer the latest message only.
    log.querySelectorAll('.mdg-choices').forEach((c) => { if (!c.closest('li') || c.closest('li').dataset.id !== m.id) c.remove(); });
    if (m.author !== 'customer') typing.hidden = true;
    // A person answering ends the wait in line.
    if (m.author === 'agent') queue.hidden = true;
    tOpen.hidden = false;
    state.lastSeen = m.id;
    save();
  };

  let socket = null;
  let retry = 0;
  let welcomed = false;
  const transmit = (frame) => {
    if (socket && socket.readyState === WebSocket.OPEN && welcomed) socket.send(JSON.stringify(frame));
  };
  const submit = (frame, localImage) => {
    frame.client_id = newId();
    state.pending[frame.client_id] = frame;
    save();
    const body = frame.type === 'image' ? `[画像] ${frame.filename}` : frame.text;
    bubbles[frame.client_id] = bubble('customer', T.you, body, null, [], localImage);
    bubbles[frame.client_id].classList.add('mdg-pending');
    error.hidden = true;
    transmit(frame);
  };

  const connect = () => {
    const url = `${base.replace(/^http/, 'ws')}/chat/${encodeURIComponent(slug)}/ws`;
    socket = new WebSocket(url);
    welcomed = false;
    socket.onopen = () => {
      retry = 0;
      socket.send(JSON.stringify({
        type: 'hello', token: state.token, last_seen: shown.size ? state.lastSeen : null,
        customer_id: ds.customerId || null, signature: ds.customerSignature || null, customer_name: ds.customerName || null,
      }));
    };
    socket.onmessage = (ev) => {
      const f = JSON.parse(ev.data);
      switch (f.type) {
        case 'welcome':
          welcomed = true;
          state.token = f.token;
          save();
          shop.textContent = f.shop;
          status.textContent = !f.open ? T.offline : (f.nobody_at_work ? T.nobody : T.online);
          panel.classList.toggle('mdg-offline', !f.open || !!f.nobody_at_work);
          fEmail.required = f.needs_email;
          fEmailLabel.textContent = f.needs_email ? T.emailRequired : (f.nobody_at_work ? T.emailOffered : T.email);
          greeting.textContent = f.greeting || '';
          greeting.hidden = !f.greeting;
          hours.textContent = [f.hours_today ? T.hoursToday(f.hours_today) : T.closedToday,
            f.next_open ? T.nextOpen(dateTime(f.next_open)) : ''].filter(Boolean).join(' / ');
          wait.textContent = f.expected_wait_seconds ? T.wait(minutes(f.expected_wait_seconds)) : '';
          wait.hidden = !f.expected_wait_seconds;
          intro.hidden = false;
          fOrderLabel.hidden = !f.ask_order_number;
          fCategoryLabel.hidden = !(f.categories || []).length;
          fCategory.replaceChildren(el('option', { value: '', textContent: T.choose }),
            ...(f.categories || []).map((c) => el('option', { value: c, textContent: c })));
          form.hidden = !f.needs_form || Object.keys(state.pending).length > 0;
          composer.hidden = !form.hidden;
          Object.values(state.pending).forEach((p) => socket.send(JSON.stringify(p)));
          break;
        case 'message':
          render(f);
          break;
        case 'ack':
          delete state.pending[f.client_id];
          save();
          if (bubbles[f.client_id]) bubbles[f.client_id].classList.remove('mdg-pending');
          form.hidden = true;
          composer.hidden = false;
          break;
        case 'typing':
          typing.textContent = T.typing(f.name);
          typing.hidden = false;
          clearTimeout(typing.timer);
          typing.timer = setTimeout(() => { typing.hidden = true; }, 5000);
          break;
        case 'queue':
          queue.textContent = f.nobody_at_work ? T.nobodyWaiting
            : T.queue(f.position, f.expected_wait_seconds ? minutes(f.expected_wait_seconds) : null);
          queue.hidden = false;
          mForm.hidden = !f.nobody_at_work || mForm.dataset.done === '1';
          if (!mForm.hidden && !mEmail.value) mEmail.value = fEmail.value;
          break;
        case 'reply_by_mail_noted':
          mForm.dataset.done = '1';
          mForm.hidden = true;
          notice.textContent = T.mailReplyNoted(f.email);
          notice.hidden = false;
          break;
        case 'transcript_queued':
          notice.textContent = T.transcriptQueued(f.email);
          notice.hidden = false;
          tForm.hidden = true;
          break;
        case 'closed':
          queue.hidden = true;
          notice.textContent = T.closed;
          notice.hidden = false;
          break;
        case 'error':
          showError(f.code);
          if (f.client_id && f.code !== 'store_failed') {
            delete state.pending[f.client_id];
            save();
            if (bubbles[f.client_id]) {
              bubbles[f.client_id].classList.add('mdg-failed');
              bubbles[f.client_id].querySelector('time').textContent = T.failed;
            }
            if (['name_required', 'invalid_email', 'email_required', 'invalid_order_number', 'invalid_category'].includes(f.code)) {
              form.hidden = false;
              composer.hidden = true;
            }
          }
          if (['invalid_signature', 'invalid_customer_id'].includes(f.code)) retry = -1;
          break;
        default:
      }
    };
    socket.onclose = () => {
      welcomed = false;
      if (retry < 0) return;
      status.textContent = T.reconnecting;
      const wait = Math.min(30000, 1000 * 2 ** retry);
      retry += 1;
      setTimeout(connect, wait);
    };
  };

  button.addEventListener('click', () => {
    panel.hidden = !panel.hidden;
    if (!panel.hidden && !socket) connect();
    if (!panel.hidden) (form.hidden ? text : fName).focus();
  });
  closeBtn.addEventListener('click', () => { panel.hidden = true; });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!fText.value.trim()) return;
    submit({
      type: 'start', name: fName.value, email: fEmail.value || null, text: fText.value,
      order_number: fOrder.value.trim() || null, category: fCategory.value || null,
    });
    fText.value = '';
    form.hidden = true;
    composer.hidden = false;
  });
  mForm.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!mEmail.value.trim()) return;
    error.hidden = true;
    transmit({ type: 'reply_by_mail', email: mEmail.value.trim() });
  });
  tOpen.addEventListener('click', () => {
    tForm.hidden = !tForm.hidden;
    if (!tForm.hidden) { tEmail.value = tEmail.value || fEmail.value; tEmail.focus(); }
  });
  tForm.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!tEmail.value.trim()) return;
    error.hidden = true;
    transmit({ type: 'transcript', email: tEmail.value.trim() });
  });
  composer.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!text.value.trim()) return;
    submit({ type: 'message', text: text.value });
    text.value = '';
  });
  // Enter sends and Shift+Enter adds a line; while a Japanese IME is composing, Enter only
  // confirms the conversion (keyCode 229 is what browsers report during composition).
  text.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing || e.keyCode === 229) return;
    e.preventDefault();
    composer.requestSubmit();
  });
  let lastTyping = 0;
  text.addEventListener('input', () => {
    if (Date.now() - lastTyping < 2000) return;
    lastTyping = Date.now();
    transmit({ type: 'typing' });
  });
  file.addEventListener('change', () => {
    const f = file.files[0];
    file.value = '';
    if (!f) return;
    if (f.size > MAX_IMAGE) { showError('image_too_large'); return; }
    const reader = new FileReader();
    reader.onload = () => {
      const dataUrl = String(reader.result);
      submit({ type: 'image', filename: f.name, data: dataUrl.slice(dataUrl.indexOf(',') + 1) }, dataUrl);
    };
    reader.readAsDataURL(f);
  });
  // A visitor with a conversation in progress sees it again at once on the next page.
  if (state.token && (state.lastSeen || Object.keys(state.pending).length)) {
    panel.hidden = false;
    connect();
  }
})();
