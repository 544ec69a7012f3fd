// The softphone on every desk page. What rings, and for which shop, is the desk's word
// (GET /desk/phone, every two seconds): the card pops for the agent whose phone rings, with the
// shop to answer for, its 名のり and who calls. The audio goes through the browser phone
// (@twilio/voice-sdk's Twilio.Device, with a token from POST /desk/phone/token) when the desk
// has one; otherwise the agent answers on a desk phone and the card still shows the call.
(() => {
  const root = document.getElementById('softphone');
  const chip = document.getElementById('phone-state');
  if (!root || !chip) return;
  const t = root.dataset;
  const csrf = () => document.getElementById('top-bar')?.dataset.csrf || '';
  const $ = (id) => document.getElementById(id);
  let device = null; // Twilio.Device, once registered
  let ringing = null; // the browser phone's incoming call, not answered yet
  let live = null; // the browser phone's call in progress
  let muted = false;
  let call = null; // what the desk says is on the phone
  let opened = null; // the conversation already opened for this call

  const post = async (url, fields) => {
    const body = new URLSearchParams({ csrf: csrf(), ...fields });
    const res = await fetch(url, { method: 'POST', body, credentials: 'same-origin' });
    if (!res.ok) throw new Error(`${url}: ${res.status}`);
    return res.status === 204 ? null : res.json();
  };
  const note = (text) => {
    $('phone-note').textContent = text || '';
    $('phone-note').hidden = !text;
  };

  async function startDevice() {
    if (t.browserPhone !== 'true') return;
    if (!window.Twilio && t.sdk) {
      await new Promise((ok, fail) => {
        const s = document.createElement('script');
        s.src = t.sdk;
        s.onload = ok;
        s.onerror = fail;
        document.head.appendChild(s);
      }).catch(() => null);
    }
    if (!window.Twilio?.Device) {
      note(t.tPhoneError);
      return;
    }
    try {
      const { token } = await post('/desk/phone/token', {});
      device = new window.Twilio.Device(token, { closeProtection: true });
      device.on('incoming', (c) => {
        ringing = c;
        const gone = () => {
          if (ringing === c) ringing = null;
          if (live === c) live = null;
          render();
        };
        c.on('cancel', gone);
        c.on('reject', gone);
        c.on('disconnect', gone);
        render();
      });
      device.on('tokenWillExpire', async () => {
        const fresh = await post('/desk/phone/token', {}).catch(() => null);
        if (fresh) device.updateToken(fresh.token);
      });
      device.on('error', () => note(t.tPhoneError));
      await device.register();
    } catch (_) {
      note(t.tPhoneError);
    }
  }

  const clock = (since) => {
    const s = Math.max(0, Math.floor((Date.now() - Date.parse(since)) / 1000));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  };

  function render() {
    const state = call ? (call.on_hold ? 'on_hold' : call.state) : 'idle';
    const label = { idle: t.tIdle, ringing: t.tRinging, connected: t.tConnected, on_hold: t.tOnHold }[state];
    chip.textContent = `${t.tTitle}：${label}`;
    chip.className = `phone-chip ${state === 'on_hold' ? 'connected' : state}`;
    // Only a call takes room in the bar, which stays one line at 1024 px.
    chip.hidden = !call;
    root.hidden = !call;
    root.classList.toggle('ringing', state === 'ringing');
    if (!call) return;
    $('phone-title').textContent = label;
    $('phone-timer').textContent = clock(call.since);
    $('pop-shop').textContent = call.merchant_name;
    $('pop-greeting').textContent = call.greeting ? `「${call.greeting}」` : '';
    $('pop-queue').textContent = [call.queue, ...Object.values(call.typed || {})].filter(Boolean).join(' / ') || '—';
    $('pop-caller').textContent = call.caller;
    $('pop-open').href = `/desk/conversations/${call.conversation_id}`;
    const isRinging = call.state === 'ringing';
    $('phone-answer').hidden = !(isRinging && ringing);
    $('phone-decline').hidden = !(isRinging && ringing);
    $('phone-hold').hidden = isRinging;
    $('phone-hold').textContent = call.on_hold ? t.tResume : t.tHold;
    $('phone-mute').hidden = isRinging || !live;
    $('phone-mute').textContent = muted ? t.tUnmute : t.tMute;
    $('phone-hangup').hidden = isRinging || !live;
    $('phone-keypad').hidden = isRinging || !live;
    // Transfer while talking: the shop's queues to choose from, or a number to type.
    $('phone-transfer').hidden = isRinging || call.on_hold;
    const menu = $('transfer-queue');
    const queues = ['', ...(call.queues || [])];
    if (menu.options.length !== queues.length || queues.some((q, i) => menu.options[i].value !== q)) {
      menu.replaceChildren(...queues.map((q) => new Option(q, q)));
    }
    if (t.browserPhone !== 'true') note(t.tNoBrowserPhone);
  }

  async function poll() {
    try {
      const res = await fetch('/desk/phone', { credentials: 'same-origin' });
      if (res.ok) call = (await res.json()).call;
    } catch (_) {
      // The next poll tries again; the heartbeat tells the agent when the desk is gone.
    }
    if (!call) muted = false;
    render();
  }

  $('phone-answer').addEventListener('click', () => {
    if (!ringing) return;
    live = ringing;
    ringing = null;
    live.accept();
    // The conversation opens beside the phone (a new tab keeps the call on this page).
    if (call && opened !== call.id) {
      opened = call.id;
      window.open($('pop-open').href, '_blank', 'noopener');
    }
    render();
  });
  $('phone-decline').addEventListener('click', () => {
    ringing?.reject();
    ringing = null;
    render();
  });
  $('phone-hold').addEventListener('click', async () => {
    if (!call) return;
    await post(`/desk/calls/${call.id}/hold`, { hold: call.on_hold ? '0' : '1' }).catch(() => note(t.tPhoneError));
    await poll();
  });
  $('transfer-go').addEventListener('click', async () => {
    if (!call) return;
    const fields = { queue: $('transfer-queue').value, number: $('transfer-number').value.trim() };
    if (!fields.queue && !fields.number) return;
    try {
      await post(`/desk/calls/${call.id}/transfer`, fields);
      $('transfer-number').value = '';
      $('phone-transfer').open = false;
      // The browser phone's leg is hung up by the desk; nothing is left on this phone.
      live = null;
    } catch (_) {
      note(t.tTransferError);
    }
    await poll();
  });
  $('phone-mute').addEventListener('click', () => {
    if (!live) return;
    muted = !muted;
    live.mute(muted);
    render();
  });
  $('phone-hangup').addEventListener('click', () => {
    live?.disconnect();
    live = null;
    render();
  });
  for (const key of root.querySelectorAll('.key')) {
    key.addEventListener('click', () => live?.sendDigits(key.dataset.key));
  }

  startDevice();
  poll();
  setInterval(poll, 2000);
})();
