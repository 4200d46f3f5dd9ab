import { h } from './dom.js';

/** A file picker that also takes a dropped file; calls back with its text and name. */
export function fileDrop(what: string, onText: (text: string, name: string) => void): HTMLElement {
  const input = h('input', { type: 'file', accept: '.txt,text/plain', 'aria-label': `open ${what}` });
  const read = async (file: File | undefined) => {
    if (file) onText(await file.text(), file.name);
  };
  input.addEventListener('change', () => void read(input.files?.[0]));
  const zone = h('label', { class: 'drop panel' }, `Open or drop ${what}: `, input);
  zone.addEventListener('dragover', (e) => e.preventDefault());
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    void read(e.dataTransfer?.files[0]);
  });
  return zone;
}
