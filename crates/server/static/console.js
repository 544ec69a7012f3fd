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
