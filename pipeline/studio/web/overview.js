// The overview: videos x languages, each cell a link to the editor with verdict, counts, edits, approval and the
// burned cut's render state, kept live from /api/events. The export button writes edited tracks back.
import { showAccount } from './account.js'
import { exportApi, getSession, listen, mayEdit, mayExport, overviewApi } from './api.js'
import { debounce, el, formatMs } from './format.js'
import { errorText, message } from './panels.js'

const $ = (id) => document.getElementById(id)
const enc = encodeURIComponent
let data = null
let session = null

function renderCell (video, t) {
  const cell = el('td', { class: `lang-cell ${t.verdict}`, testid: 'lang-cell', 'data-video': video, 'data-lang': t.lang })
  const approved = t.approved
    ? el('span', { class: 'approved', testid: 'cell-approval', title: `${t.approved.by}, ${t.approved.at}`, text: `✓ ${t.approved.by} ${new Date(t.approved.at).toLocaleDateString()}` })
    : el('span', { class: 'unapproved', testid: 'cell-approval', text: 'not approved' })
  const link = el('a', { href: `/edit/${enc(video)}/${enc(t.lang)}`, class: 'cell-link', testid: 'edit-link' },
    el('span', { class: `verdict ${t.verdict}`, testid: 'cell-verdict', text: t.verdict }),
    el('span', { class: 'counts', testid: 'cell-counts', text: `${t.errors} E · ${t.warnings} W` }),
    el('span', { class: 'edits', testid: 'cell-edits', text: `${t.edits} edit${t.edits === 1 ? '' : 's'}` }),
    approved,
    renderState(t.render),
    mayEdit(session, t.lang) ? null : el('span', { class: 'read-only', testid: 'cell-read-only', text: 'read only' }))
  cell.append(link)
  return cell
}

function renderState (r) {
  const span = el('span', { class: `render ${r ? r.state : 'idle'}`, testid: 'cell-render' })
  fillRender(span, r)
  return span
}

function fillRender (span, r) {
  span.className = `render ${r ? r.state : 'idle'}`
  span.dataset.state = r ? r.state : 'idle'
  const pct = r && typeof r.fraction === 'number' && r.state === 'running' ? ` ${Math.round(r.fraction * 100)}%` : ''
  span.textContent = r ? `burn: ${r.state}${pct}` : 'burn: idle'
  span.title = (r && r.message) || ''
}

function render () {
  $('job').textContent = data.job
  const langs = []
  for (const v of data.videos) for (const t of v.languages) if (!langs.includes(t.lang)) langs.push(t.lang)
  $('head').replaceChildren(el('th', { scope: 'col', text: 'video' }), ...langs.map((l) => el('th', { scope: 'col', text: l })))
  $('rows').replaceChildren(...data.videos.map((v) => el('tr', { testid: 'video-row', 'data-video': v.name },
    el('th', { scope: 'row' }, el('span', { class: 'name', text: v.name }), el('span', { class: 'duration', text: formatMs(v.duration_ms) })),
    ...langs.map((l) => {
      const t = v.languages.find((x) => x.lang === l)
      return t ? renderCell(v.name, t) : el('td', { class: 'none', text: '—' })
    }))))
}

const reload = debounce(async () => {
  try { data = await overviewApi(); render() } catch (e) { message(errorText(e)) }
}, 200)

function onRender (d) {
  if (!data) return
  const v = data.videos.find((x) => x.name === d.video)
  if (!v) return
  for (const t of v.languages) {
    if (d.lang !== null && t.lang !== d.lang) continue
    t.render = { state: d.state, message: d.message, seq: d.seq, fraction: d.fraction }
    const span = document.querySelector(`td[data-video="${CSS.escape(d.video)}"][data-lang="${CSS.escape(t.lang)}"] [data-testid="cell-render"]`)
    if (span) fillRender(span, t.render)
  }
}

async function doExport () {
  const button = $('export')
  button.disabled = true
  try {
    const { written } = await exportApi()
    message(written.length ? `exported: ${written.join(', ')}` : 'nothing to export (no edits)', 'note')
  } catch (e) {
    message(errorText(e))
  } finally {
    button.disabled = !mayExport(session)
  }
}

async function boot () {
  const [who, overview] = await Promise.all([getSession(), overviewApi()])
  session = who
  data = overview
  showAccount(session, (e) => message(errorText(e)))
  render()
  const button = $('export')
  button.disabled = !mayExport(session)
  if (button.disabled) button.title = 'only an approver of every language may export'
  button.addEventListener('click', doExport)
  let opened = false
  let seen = null
  listen({ render: onRender, edit: reload, approval: reload, reload }, (s) => {
    $('live').dataset.state = s
    $('live').textContent = s === 'open' ? 'live' : s
    if (s === 'open' && opened && seen !== 'open') reload() // events may have been missed meanwhile
    if (s === 'open') opened = true
    seen = s
  })
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') reload() })
}

boot().catch((e) => message(`the overview could not load: ${errorText(e)}`))
