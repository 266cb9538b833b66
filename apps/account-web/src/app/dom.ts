/** Small DOM helpers: no framework, no innerHTML (the CSP asks for Trusted Types; text only). */

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from index.html`);
  return element as T;
}

export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { className?: string; text?: string; attrs?: Record<string, string> } = {},
  children: Array<Node | string> = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

/** Moves keyboard and screen-reader focus to a heading or control after a step changes the page. */
export function focusOn(target: HTMLElement): void {
  if (!target.hasAttribute('tabindex') && !(target instanceof HTMLInputElement || target instanceof HTMLButtonElement)) {
    target.setAttribute('tabindex', '-1');
  }
  target.focus();
}

/** Disables a button (and marks it busy) while its request runs, so a double click sends one request. */
export async function whileBusy<T>(button: HTMLButtonElement | null | undefined, work: () => Promise<T>): Promise<T> {
  if (!button) return work();
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

/** Marks a field invalid for assistive technology, or clears it. */
export function markInvalid(input: HTMLInputElement, invalid: boolean): void {
  if (invalid) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

/**
 * An inline "are you sure?" in place of `window.confirm` (which blocks, cannot be styled, and is
 * awkward for screen readers): the question and two buttons replace the trigger until answered.
 */
export function confirmInline(trigger: HTMLButtonElement, question: string, yesLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    const yes = element('button', { className: 'danger-solid', text: yesLabel, attrs: { type: 'button' } });
    const no = element('button', { className: 'secondary', text: 'Keep', attrs: { type: 'button' } });
    const box = element('div', { className: 'confirm', attrs: { role: 'group', 'aria-label': question } }, [
      element('p', { text: question }),
      element('div', { className: 'actions' }, [yes, no]),
    ]);
    trigger.hidden = true;
    trigger.after(box);
    const finish = (answer: boolean) => {
      box.remove();
      trigger.hidden = false;
      if (!answer) trigger.focus();
      resolve(answer);
    };
    yes.addEventListener('click', () => finish(true));
    no.addEventListener('click', () => finish(false));
    box.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') finish(false);
    });
    yes.focus();
  });
}
