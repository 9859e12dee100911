// DOM helpers. Everything a player or an admin typed reaches the page as text nodes or
// attribute values, never as markup: there is no innerHTML anywhere in the dashboard.

/**
 * Creates an element.
 *
 * @param {string} tag
 * @param {{ class?: string, text?: string, attrs?: Record<string, string>,
 *   on?: Record<string, (event: Event) => void> }} [props]
 * @param {...(Node | string | null | undefined | false)} children
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  if (props.class) element.className = props.class;
  if (props.text !== undefined) element.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) element.setAttribute(name, value);
  for (const [name, listener] of Object.entries(props.on ?? {})) {
    element.addEventListener(name, listener);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

/**
 * The element with this id; throws when the page lacks it, so a typo fails loudly.
 *
 * @template {HTMLElement} T
 * @param {string} id
 * @returns {T}
 */
export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The page has no element #${id}`);
  return /** @type {T} */ (element);
}

/**
 * Replaces the children of `parent`.
 *
 * @param {Element} parent
 * @param {Node[]} children
 */
export function replaceChildren(parent, children) {
  parent.replaceChildren(...children);
}

/**
 * Asks for confirmation in the page's modal dialog (keyboard: Enter confirms, Escape cancels).
 * With `input`, also asks for a line of text and resolves to it.
 *
 * @param {{ title: string, text: string, confirm: string,
 *   input?: { label: string, value?: string, required?: boolean } }} options
 * @returns {Promise<string | null>} null when cancelled; the text typed (or "") when confirmed
 */
export function ask(options) {
  const dialog = /** @type {HTMLDialogElement} */ (byId("dialog"));
  const field = byId("dialog-field");
  const input = /** @type {HTMLInputElement} */ (byId("dialog-input"));
  byId("dialog-title").textContent = options.title;
  byId("dialog-text").textContent = options.text;
  byId("dialog-ok").textContent = options.confirm;
  field.hidden = !options.input;
  input.required = options.input?.required ?? false;
  input.value = options.input?.value ?? "";
  byId("dialog-label").textContent = options.input?.label ?? "";
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "ok" ? (options.input ? input.value : "") : null);
    }, { once: true });
    dialog.showModal();
    if (options.input) input.focus();
  });
}
