// What a failing test shows of a page: its address, the focused element (inside
// shadow roots too) and the widget's shadow root, or the body without a widget.
(() => {
  const host = document.getElementById('shopbot-chat');
  const root = host && host.shadowRoot;
  let focus = document.activeElement;
  while (focus && focus.shadowRoot && focus.shadowRoot.activeElement) {
    focus = focus.shadowRoot.activeElement;
  }
  return 'url: ' + location.href
    + '\nfocus: ' + (focus ? focus.outerHTML.slice(0, 200) : 'none')
    + '\n' + (root ? 'shadow root of #shopbot-chat:\n' + root.innerHTML
      : 'body:\n' + (document.body ? document.body.outerHTML : '(none)'));
})()
