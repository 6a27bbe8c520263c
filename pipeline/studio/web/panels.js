// The editor's side panels: messages, findings, a cue's history, the conflict dialog, approval and render state.
import { el, formatMs } from './format.js'
import { helpTable } from './keys.js'

const $ = (id) => document.getElementById(id)

/**
 * The message area: errors stay until closed or replaced by the next error, notes fade after a few seconds unless
 * `stay` (then they stay until closed).
 */
export function message (text, kind = 'error', { stay = false } = {}) {
  const box = $('messages')
  const close = el('button', { type: 'button', class: 'close', title: 'dismiss', text: '×' })
  const item = el('div', { class: `message ${kind}`, testid: `message-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    el('span', { text }), close)
  close.addEventListener('click', () => item.remove())
  if (kind === 'error') box.querySelectorAll('.message.error').forEach((m) => m.remove())
  box.append(item)
  if (kind !== 'error' && !stay) setTimeout(() => item.remove(), 5000)
  return item
}

/** The server's 4xx message, with the field it names. */
export function errorText (e) {
  if (e && e.status) return e.field && !e.message.includes(e.field) ? `${e.message} (${e.field})` : e.message
  return `network or page error: ${e && e.message ? e.message : e}`
}

/** Findings, sorted by time; `onPick(finding)` when one is clicked; `current` marks the F8 position. */
export function renderFindings (findings, cueNumbers, onPick, current = -1) {
  const list = $('findings-list')
  $('findings-count').textContent = findings.length
    ? `(${count(findings, 'error')} errors, ${count(findings, 'warning')} warnings, ${count(findings, 'info')} notes)`
    : '(none)'
  list.replaceChildren(...findings.map((f, i) => {
    const n = f.cue_id ? cueNumbers.get(f.cue_id) : null
    const item = el('li', {
      class: `finding ${f.severity}${i === current ? ' current' : ''}`,
      testid: 'finding',
      'data-rule': f.rule,
      'data-cue-id': f.cue_id || '',
      tabindex: '0'
    },
    el('span', { class: 'where', text: n ? `#${n}` : formatMs(f.start_ms) }),
    el('span', { class: 'sev', text: f.severity }),
    el('span', { class: 'msg', text: f.message }),
    f.fix ? el('span', { class: 'fix', text: `fix: ${f.fix}` }) : null)
    item.addEventListener('click', () => onPick(f, i))
    item.addEventListener('keydown', (e) => { if (e.key === 'Enter') onPick(f, i) })
    return item
  }))
  list.querySelector('.current')?.scrollIntoView({ block: 'nearest' })
}

const count = (fs, sev) => fs.filter((f) => f.severity === sev).length

/** Findings grouped by cue id, and the worst severity per cue. */
export function groupFindings (findings) {
  const byCue = new Map()
  const worst = new Map()
  for (const f of findings) {
    if (!f.cue_id) continue
    if (!byCue.has(f.cue_id)) byCue.set(f.cue_id, [])
    byCue.get(f.cue_id).push(f)
    if (f.severity === 'error' || (f.severity === 'warning' && worst.get(f.cue_id) !== 'error')) worst.set(f.cue_id, f.severity)
  }
  return { byCue, worst }
}

const describe = (cue) => cue ? `${formatMs(cue.start_ms)} → ${formatMs(cue.end_ms)}  ${cue.text}` : '(deleted)'

/**
 * The history panel of one cue; `onRestore(state)` with the cue state to go back to (null = deleted), or null when
 * the track is read only (the restore buttons are disabled).
 */
export function showHistory (cueNumber, rows, onRestore) {
  $('history-cue').textContent = `#${cueNumber}`
  const list = $('history-list')
  const items = rows.map((r) => el('li', { class: 'history-row', testid: 'history-row', 'data-seq': r.seq },
    el('div', { class: 'who', text: `${r.label} · ${r.user} · ${new Date(r.at).toLocaleString()}` }),
    el('div', { class: 'before', text: `before: ${describe(r.before)}` }),
    el('div', { class: 'after', text: `after: ${describe(r.after)}` }),
    el('button', { type: 'button', testid: 'restore', text: 'restore this', disabled: !onRestore, onclick: () => onRestore?.(r.after) }),
    r === rows[0] && r.before
      ? el('button', { type: 'button', testid: 'restore-original', text: 'restore the original', disabled: !onRestore, onclick: () => onRestore?.(r.before) })
      : null))
  list.replaceChildren(...(items.length ? items : [el('li', { text: 'no edits yet' })]))
  $('history-panel').hidden = false
}

export function hideHistory () { $('history-panel').hidden = true }

/**
 * The 409 dialog: for each conflicting cue, theirs (the server's current state) and yours. Resolves 'mine' or 'theirs'.
 * @param {{id: string, current: object|null}[]} conflicts @param {Map<string, object>} mine the changes sent, by id
 */
export function askConflict (conflicts, mine) {
  const body = $('conflict-body')
  body.replaceChildren(...conflicts.map((c) => {
    const yours = mine.get(c.id)
    return el('div', { class: 'conflict-cue', testid: 'conflict-cue', 'data-cue-id': c.id },
      el('h3', { text: `cue ${c.id}` }),
      el('div', { class: 'theirs' }, el('strong', { text: 'theirs' }), el('pre', { testid: 'conflict-theirs', text: describe(c.current) })),
      el('div', { class: 'yours' }, el('strong', { text: 'yours' }), el('pre', { testid: 'conflict-yours', text: yours ? (yours.op === 'delete' ? '(delete)' : describe(yours)) : '' })))
  }))
  const dialog = $('conflict')
  return new Promise((resolve) => {
    const done = (choice) => { dialog.close(); resolve(choice) }
    $('keep-mine').onclick = () => done('mine')
    $('take-theirs').onclick = () => done('theirs')
    dialog.oncancel = (e) => { e.preventDefault(); done('theirs') }
    dialog.showModal()
  })
}

export function toggleHelp (force) {
  const dialog = $('help')
  if (!$('help-body').firstChild) $('help-body').append(helpTable())
  const open = force ?? !dialog.open
  if (open && !dialog.open) dialog.showModal()
  if (!open && dialog.open) dialog.close()
}

export function showApproval (approved, edits) {
  const span = $('approval')
  span.classList.toggle('is-approved', !!approved)
  span.dataset.approved = approved ? 'true' : 'false'
  span.textContent = approved
    ? `approved by ${approved.by}, ${new Date(approved.at).toLocaleString()}`
    : (edits ? 'not approved (edited since)' : 'not approved')
}

/** The render line of the header: state, message and a progress bar while running. */
export function showRender (render) {
  const span = $('render-state')
  const bar = $('render-progress')
  if (!render) { span.textContent = ''; bar.hidden = true; return }
  span.dataset.state = render.state
  span.textContent = `burn: ${render.state}${render.message ? ` (${render.message})` : ''}`
  const running = render.state === 'running' || render.state === 'queued'
  bar.hidden = !running
  if (running && typeof render.fraction === 'number') bar.value = render.fraction
  else if (running) bar.removeAttribute('value')
}
