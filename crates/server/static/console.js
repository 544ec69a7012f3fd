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
  const area = document.getElementById('inbox-area');
  const open = document.querySelector('[data-conversation]');
  if (!area && !open) return;
  const events = new EventSource('/desk/events');
  events.addEventListener('changed', async (e) => {
    if (area) {
      const res = await fetch(location.href, { credentials: 'same-origin' });
      if (!res.ok) return;
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      const fresh = doc.getElementById('inbox-area');
      if (fresh) document.getElementById('inbox-area').replaceWith(fresh);
    } else if (open && e.data === open.dataset.conversation) {
      const body = document.getElementById('body');
      const busy = (body && body.value.trim() !== '') || document.activeElement?.tagName === 'SELECT';
      if (!busy) location.reload();
    }
  });
})();
