/** A small element builder: the page builds its views from data, never from HTML strings (nothing typed is ever parsed as markup). */
type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K, props: Partial<Record<string, string | boolean | ((event: Event) => void)>> = {}, ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') node.addEventListener(name.replace(/^on/, '').toLowerCase(), value);
    else if (value === true) node.setAttribute(name, '');
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

export function $(id: string): HTMLElement {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}: index.html and the script are out of step; rebuild with npm run build`);
  return node;
}

/** `[M]`, `[D]`, or `[–]` when no route is chosen, as the bot shows it. */
export function routeTag(route: string | null | undefined): string {
  return route ? `[${route}]` : '[–]';
}
