// Keyboard shortcuts after Subtitle Edit / Aegisub habits, one table that drives both the handler and the help overlay.
import { el } from './format.js'

const ctrl = (e) => e.ctrlKey || e.metaKey
const plain = (e) => !e.ctrlKey && !e.metaKey && !e.altKey

/** [keys shown, what it does, action name, matcher, also while typing in a field?] */
export const SHORTCUTS = [
  ['Space', 'play / pause (when not typing)', 'playPause', (e) => e.code === 'Space' && plain(e) && !e.shiftKey, false],
  ['Ctrl+Space', 'play / pause', 'playPause', (e) => e.code === 'Space' && ctrl(e), true],
  ['Left / Right', 'seek -1 s / +1 s (when not typing)', 'seekBack1', (e) => e.key === 'ArrowLeft' && plain(e) && !e.shiftKey, false],
  [null, null, 'seekFwd1', (e) => e.key === 'ArrowRight' && plain(e) && !e.shiftKey, false],
  ['Alt+Left / Alt+Right', 'seek -0.5 s / +0.5 s', 'seekBack05', (e) => e.key === 'ArrowLeft' && e.altKey && !ctrl(e), true],
  [null, null, 'seekFwd05', (e) => e.key === 'ArrowRight' && e.altKey && !ctrl(e), true],
  ['Alt+Up / Alt+Down', 'previous / next cue', 'prevCue', (e) => e.key === 'ArrowUp' && e.altKey && !ctrl(e), true],
  [null, null, 'nextCue', (e) => e.key === 'ArrowDown' && e.altKey && !ctrl(e), true],
  ['F11 (or [ when not typing)', 'set the start to the playhead', 'setStart', (e) => e.key === 'F11', true],
  [null, null, 'setStart', (e) => e.key === '[' && plain(e), false],
  ['F12 (or ] when not typing)', 'set the end to the playhead', 'setEnd', (e) => e.key === 'F12', true],
  [null, null, 'setEnd', (e) => e.key === ']' && plain(e), false],
  ['Ctrl+Enter', 'save the text now', 'saveText', (e) => e.key === 'Enter' && ctrl(e), true],
  ['Ctrl+Shift+M', 'merge with the next cue', 'merge', (e) => ctrl(e) && e.shiftKey && e.code === 'KeyM', true],
  ['Ctrl+Alt+V', 'split at the text cursor (or the playhead)', 'split', (e) => ctrl(e) && e.altKey && e.code === 'KeyV', true],
  ['Ctrl+Alt+B', 'reflow: the language\'s line breaks', 'reflow', (e) => ctrl(e) && e.altKey && e.code === 'KeyB', true],
  ['Insert', 'insert a cue after this one', 'insertAfter', (e) => e.key === 'Insert' && !ctrl(e), true],
  ['Ctrl+Delete', 'delete this cue', 'deleteCue', (e) => e.key === 'Delete' && ctrl(e), true],
  ['Ctrl+Z', 'undo (outside a field with unsaved typing)', 'undo', (e) => ctrl(e) && !e.shiftKey && e.code === 'KeyZ', true],
  ['Ctrl+Y / Ctrl+Shift+Z', 'redo', 'redo', (e) => ctrl(e) && (e.code === 'KeyY' || (e.shiftKey && e.code === 'KeyZ')), true],
  ['F8 / Shift+F8', 'next / previous finding', 'nextFinding', (e) => e.key === 'F8' && !e.shiftKey, true],
  [null, null, 'prevFinding', (e) => e.key === 'F8' && e.shiftKey, true],
  ['Ctrl+wheel / Alt+wheel', 'zoom the timeline (or the + / - buttons)', null, () => false, false],
  ['? / F1', 'this help', 'help', (e) => e.key === 'F1' || (e.key === '?' && !ctrl(e) && !e.altKey), false],
  ['Escape', 'close this help or a dialog', 'escape', (e) => e.key === 'Escape', true]
]

/** Is the keyboard focus in a place where typed characters go into text? */
export function typing (target) {
  if (!(target instanceof HTMLElement)) return false
  if (target.isContentEditable) return true
  if (target.tagName === 'TEXTAREA' || target.tagName === 'SELECT') return true
  if (target.tagName !== 'INPUT') return false
  return !['button', 'checkbox', 'radio', 'range', 'submit', 'reset'].includes(target.type)
}

/**
 * Listen for the shortcuts on `root`; `actions[name](event)` runs them. An action may return false to let the
 * browser handle the key after all (for example Ctrl+Z while a text field has its own unsaved undo).
 */
export function bindShortcuts (root, actions) {
  root.addEventListener('keydown', (e) => {
    if (e.isComposing) return
    const inField = typing(e.target)
    // F1 opens the help anywhere; '?' only when it would not type a question mark.
    for (const [, , name, match, whileTyping] of SHORTCUTS) {
      if (!name || !match(e)) continue
      if (inField && !whileTyping && !(name === 'help' && e.key === 'F1')) return
      const fn = actions[name]
      if (!fn) return
      if (fn(e) === false) return
      e.preventDefault()
      e.stopPropagation()
      return
    }
  })
}

/** The help overlay's content, from the table. */
export function helpTable () {
  const rows = SHORTCUTS.filter(([keys]) => keys).map(([keys, what]) =>
    el('tr', {}, el('td', {}, el('kbd', { text: keys })), el('td', { text: what })))
  return el('table', { class: 'help-table', testid: 'help-table' }, el('tbody', {}, rows))
}
