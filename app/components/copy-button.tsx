import { useState } from 'react';

/** Copies `text` to the clipboard with one click and says whether it worked (announced politely). */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [result, setResult] = useState<'copied' | 'failed' | null>(null);
  function copy() {
    // The Clipboard API needs a secure context (https or localhost); elsewhere the key stays selectable.
    const writing = navigator.clipboard?.writeText(text) ?? Promise.reject(new Error('no clipboard'));
    writing.then(
      () => setResult('copied'),
      () => setResult('failed'),
    );
  }
  return (
    <div className="mt-2 flex flex-wrap items-center gap-3">
      <button type="button" className="btn-secondary" onClick={copy} aria-label={label}>
        Copy
      </button>
      <span aria-live="polite" className="text-sm text-slate-700" data-testid="copy-result">
        {result === 'copied' ? 'Copied to the clipboard.' : result === 'failed' ? 'Could not copy here: select the key and copy it.' : ''}
      </span>
    </div>
  );
}
