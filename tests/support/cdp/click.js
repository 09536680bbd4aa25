// Where a real mouse can click the element `el`: {x, y} at its centre once it is
// scrolled into view, visible, still for two frames and not covered by anything
// else (shadow roots included); otherwise why not yet, as a string.
async (el) => {
  if (!el) return 'missing';
  el.scrollIntoView({block: 'center', inline: 'center'});
  const a = el.getBoundingClientRect();
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const b = el.getBoundingClientRect();
  if (b.width === 0 || b.height === 0) return 'invisible';
  if (a.x !== b.x || a.y !== b.y || a.width !== b.width || a.height !== b.height) return 'moving';
  const x = b.left + b.width / 2, y = b.top + b.height / 2;
  let hit = document.elementFromPoint(x, y);
  while (hit && hit.shadowRoot) {
    const deeper = hit.shadowRoot.elementFromPoint(x, y);
    if (!deeper || deeper === hit) break;
    hit = deeper;
  }
  if (!hit || !(hit === el || el.contains(hit))) {
    return 'covered by ' + (hit ? hit.outerHTML.slice(0, 160) : 'nothing');
  }
  return {x, y};
}
