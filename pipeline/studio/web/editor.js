// The editor page: loads the video, track and peaks in parallel, draws player, cue list and timeline, then keeps
// them in step with saves, lint results and the server's events. window.studio exposes read-only state for tests.
// The page's own text is in the system font: the first paint waits for no font (JASSUB loads the burn's fonts).
import { showAccount } from './account.js'
import { getJSON, getSession, mayApprove, mayEdit, trackApi, videoApi } from './api.js'
import { CueList } from './cuelist.js'
import { Edits } from './edits.js'
import { debounce, formatMs, frameGrid, cueAt } from './format.js'
import { bindShortcuts } from './keys.js'
import { makeActions } from './actions.js'
import { makeLive } from './live.js'
import * as P from './panels.js'
import { Player } from './player.js'
import { previewAss } from './preview.js'
import { Timeline } from './timeline.js'
import { updateOf } from './undo.js'

const $ = (id) => document.getElementById(id)
const enc = encodeURIComponent
const [, , V, L] = location.pathname.split('/').map(decodeURIComponent)
const params = new URLSearchParams(location.search)
const api = trackApi(V, L)
const state = {
  cues: [], findings: [], drafts: new Map(), drag: null, selected: null, other: null, withLang: params.get('with') || '',
  track: null, render: null, cutUrl: null, cutSeq: -1, approved: null, findingIdx: -1, me: null, digest: null,
  canEdit: false, canApprove: false, savedFindings: null
}
const ctx = { V, L, state, api, info: null, grid: frameGrid(null), player: null, list: null, timeline: null, edits: null }
let firstPaintMs = null
let readyResolve, readyReject
const ready = new Promise((resolve, reject) => { readyResolve = resolve; readyReject = reject })
let subtitlesReady = Promise.resolve(false)

const live = makeLive(ctx)
ctx.profile = () => state.track?.profile || {}
ctx.sortedFindings = () => [...state.findings].sort((a, b) => a.start_ms - b.start_ms)

/** Everything that depends on cues or findings, redrawn in place. */
function renderAll () {
  const { byCue, worst } = P.groupFindings(state.findings)
  ctx.list.render(state.cues, byCue, state.other, state.withLang)
  ctx.timeline?.setCues(state.cues, worst, state.drag)
  const numbers = new Map(state.cues.map((c, i) => [c.id, i + 1]))
  P.renderFindings(ctx.sortedFindings(), numbers, (f, i) => ctx.pickFinding(i), state.findingIdx)
  if (state.selected && !numbers.has(state.selected)) state.selected = null
  ctx.list.select(state.selected, false)
  ctx.timeline?.select(state.selected)
}

ctx.selectCue = (id, { seek = true, focusText = false, keepFinding = false } = {}) => {
  const cue = state.cues.find((c) => c.id === id)
  if (!cue) return
  if (!keepFinding) state.findingIdx = -1
  if (state.selected !== id) {
    state.selected = id
    ctx.list.select(id)
    ctx.timeline?.select(id)
    ctx.timeline?.reveal(cue)
    writeUrl()
  }
  if (seek) ctx.player.seekMs(cue.start_ms + ctx.grid.frameMs / 2)
  if (focusText) ctx.list.textArea(id)?.focus()
}

ctx.pickFinding = (i) => {
  const f = ctx.sortedFindings()[i]
  if (!f) return
  state.findingIdx = i
  if (f.cue_id) ctx.selectCue(f.cue_id, { seek: true, keepFinding: true })
  else ctx.player.seekMs(f.start_ms)
  renderAll()
}

function writeUrl () {
  const q = new URLSearchParams()
  if (state.selected) q.set('cue', state.selected)
  if (state.withLang) q.set('with', state.withLang)
  const s = q.toString()
  history.replaceState(null, '', `/edit/${enc(V)}/${enc(L)}${s ? `?${s}` : ''}`)
}

/** Unsaved texts and a dragged cue drawn by JASSUB before the save (when the document allows, see preview.js). */
const livePreview = debounce(() => {
  const saved = ctx.player?.savedAss
  if (!saved) return
  const text = state.drafts.size || state.drag ? previewAss(saved, state.cues, state.drafts, state.drag) : saved
  if (text) ctx.player.setAss(text, true).catch(() => {})
}, 50)

ctx.renderAll = () => renderAll()
ctx.loadOther = (lang) => loadOther(lang)
const refreshAss = ctx.refreshAss = debounce(async () => {
  try { await ctx.player.setAss(await api.ass()) } catch (e) { P.message(P.errorText(e)) }
}, 80)

/** A save went through: the server's cues and findings become the state; the approval reopens. */
function applied (resp, label) {
  state.cues = resp.cues
  state.findings = state.savedFindings = resp.findings
  state.digest = resp.digest ?? null
  for (const id of resp.changed || []) ctx.list.showError(id, null)
  state.approved = null
  P.showApproval(null, true)
  renderAll()
  refreshAss()
  live.refreshMeta()
  if (label === 'insert' && resp.inserted?.length) {
    ctx.selectCue(resp.inserted[0], { seek: true, focusText: true })
    ctx.list.textArea(resp.inserted[0])?.select()
  }
}

async function loadOther (lang) {
  state.withLang = lang
  const other = lang ? await trackApi(V, lang).get() : null
  state.other = other ? other.cues : null
  renderAll()
  writeUrl()
}

/**
 * What the signed-in person may do here: a language not theirs is read only (fields, toolbar, timeline, a note says
 * so); Approve needs an approver of it. The server refuses anything else with a 403 all the same.
 */
function applyAccess (session) {
  state.me = session.user
  state.canEdit = mayEdit(session, L)
  state.canApprove = mayApprove(session, L)
  showAccount(session, (e) => P.message(P.errorText(e)))
  $('read-only').hidden = state.canEdit
  ctx.list.setReadOnly(!state.canEdit)
  for (const b of document.querySelectorAll('[data-action]')) {
    if (b.dataset.action !== 'showHistory') b.disabled = !state.canEdit
  }
  $('approve').title = state.canApprove ? 'approve the track as shown'
    : !state.canEdit ? 'read only: not one of your languages' : 'only an approver may approve'
}

function tick () {
  const ms = ctx.player.timeMs
  $('clock').textContent = formatMs(ms)
  const i = cueAt(state.cues, ms)
  ctx.list.setPlaying(i >= 0 ? state.cues[i].id : null)
}

function playLoop () {
  tick()
  if (!ctx.player.video.paused) requestAnimationFrame(playLoop)
}

function wireControls (actions) {
  const video = ctx.player.video
  video.addEventListener('play', () => { $('play').textContent = 'Pause'; playLoop() })
  video.addEventListener('pause', () => { $('play').textContent = 'Play'; tick() })
  video.addEventListener('seeked', tick)
  video.addEventListener('timeupdate', tick)
  $('play').addEventListener('click', () => ctx.player.togglePlay())
  $('burned').addEventListener('change', (e) => {
    if (!ctx.player.setBurned(e.target.checked)) { e.target.checked = false; P.message('no burned cut yet', 'note') }
  })
  $('approve').addEventListener('click', live.approve)
  $('help-button').addEventListener('click', () => P.toggleHelp(true))
  $('help-close').addEventListener('click', () => P.toggleHelp(false))
  $('history-close').addEventListener('click', P.hideHistory)
  $('zoom-in').addEventListener('click', () => ctx.timeline?.zoomBy(1.5))
  $('zoom-out').addEventListener('click', () => ctx.timeline?.zoomBy(1 / 1.5))
  $('with').addEventListener('change', (e) => loadOther(e.target.value).catch((err) => P.message(P.errorText(err))))
  for (const b of document.querySelectorAll('[data-action]')) {
    b.addEventListener('mousedown', (e) => e.preventDefault()) // keep the text cursor where it was (split)
    b.addEventListener('click', () => actions[b.dataset.action]({ target: b }))
  }
  bindShortcuts(document, actions)
}

async function boot () {
  // The source video starts loading at once, at the contract's address (corrected below if the server names another).
  ctx.player = new Player($('video'), { sourceUrl: `/media/${enc(V)}/source`, fonts: [] })
  const sessionP = getSession()
  const infoP = videoApi(V)
  const trackP = api.get()
  const peaksP = getJSON(`/api/videos/${enc(V)}/peaks`)
  const assP = api.ass()
  const info = await infoP
  ctx.info = info
  ctx.grid = frameGrid(info.fps)
  document.title = `${V} · ${L} · subpipe studio`
  $('title').textContent = `${V} · ${L}`
  if (info.source_url && new URL(info.source_url, location.href).href !== ctx.player.video.src) ctx.player.setSource(info.source_url)
  const shown = new Promise((resolve) => {
    if (ctx.player.video.readyState >= 2) resolve()
    ctx.player.video.addEventListener('loadeddata', resolve, { once: true })
    ctx.player.video.addEventListener('error', resolve, { once: true })
  })
  for (const lang of info.languages.filter((x) => x !== L)) $('with').append(new Option(lang, lang))
  $('with').value = state.withLang
  const track = await trackP
  state.cues = track.cues
  state.findings = state.savedFindings = track.findings
  state.digest = track.digest ?? null
  ctx.list = new CueList($('cues'), {
    onSelect: (id, o) => ctx.selectCue(id, o),
    onText: (id, text) => ctx.edits.setDraft(id, text),
    onTextDone: (id) => { ctx.edits.saveText(id) },
    draftOf: (id) => state.drafts.get(id),
    onTime: async (id, which, ms) => {
      const cue = ctx.edits.cue(id)
      if (!cue) return
      if (!await ctx.edits.commit('time', [updateOf(cue, { [`${which}_ms`]: ms })])) ctx.list.markInvalid(id, which)
    },
    onBadTime: (which, text) => P.message(`${which}: ${JSON.stringify(text)} is not a time (H:MM:SS.mmm)`)
  }, track.profile, L)
  ctx.edits = new Edits(api, state, {
    applied,
    linted: (f) => { state.findings = f; renderAll() },
    reload: () => live.reloadTrack(false, true),
    drafted: livePreview,
    refused: (id, field, text) => ctx.list.showError(id, text, field),
    reverted: (id) => { ctx.list.revert(id); livePreview() },
    dropped: live.dropped
  })
  applyAccess(await sessionP) // fetched alongside the track: the fields are read only before they are shown
  ctx.player.fonts = track.fonts || []
  live.applyMeta(track)
  renderAll()
  const actions = makeActions(ctx)
  wireControls(actions)
  const peaks = await peaksP
  ctx.timeline = new Timeline({
    container: $('waveform'), media: ctx.player.video, peaks: peaks.peaks, durationMs: info.duration_ms,
    shots: info.shots_ms || [], speech: info.speech || [], grid: ctx.grid, editable: state.canEdit,
    onSelect: (id) => ctx.selectCue(id, { seek: true }),
    onDrag: (id, s, e) => ctx.edits.dragPreview(id, s, e),
    onTimes: async (id, s, e) => {
      const cue = ctx.edits.cue(id) // an op on the cue as shown; rebuilt on a save of it still in flight (undo.js)
      const drag = state.drag = { id, start_ms: s, end_ms: e } // shown where it was dropped until the save answers
      if (cue && (cue.start_ms !== s || cue.end_ms !== e)) await ctx.edits.commit('time', [updateOf(cue, { start_ms: s, end_ms: e })])
      if (state.drag === drag) state.drag = null
      renderAll()
    }
  })
  await ctx.timeline.ready
  renderAll()
  const wanted = params.get('cue')
  if (wanted && state.cues.some((c) => c.id === wanted)) ctx.selectCue(wanted, { seek: true })
  else if (wanted) P.message(`no cue ${wanted} in this track`, 'note')
  await shown
  firstPaintMs = performance.now()
  $('approve').disabled = !state.canApprove
  readyResolve(true)
  live.start()
  subtitlesReady = assP.then((ass) => ctx.player.startSubtitles(ass)).then(() => {
    $('subs-state').textContent = ''
    return true
  }, (e) => {
    $('subs-state').textContent = 'live preview unavailable'
    P.message(`live subtitle preview failed: ${e && e.message}`)
    return false
  })
  if (state.withLang) loadOther(state.withLang).catch((e) => P.message(P.errorText(e)))
}

boot().catch((e) => {
  P.message(`the editor could not load: ${P.errorText(e)}`)
  readyReject(e)
})

Object.defineProperty(window, 'studio', {
  value: Object.freeze({
    get ready () { return ready },
    get subtitlesReady () { return subtitlesReady },
    get firstPaintMs () { return firstPaintMs },
    get lastLintMs () { return ctx.edits?.lastLintMs ?? null },
    get selected () { return state.selected },
    get cues () { return state.cues.map((c) => ({ ...c })) },
    get findings () { return state.findings.map((f) => ({ ...f })) },
    get render () { return state.render ? { ...state.render } : null },
    get cutUrl () { return state.cutUrl },
    get approved () { return state.approved ? { ...state.approved } : null },
    get digest () { return state.digest },
    get conflicts () { return ctx.edits?.conflicts ?? 0 },
    get drafts () { return Object.fromEntries(state.drafts) },
    get busy () { return !!ctx.edits?.busy },
    get readOnly () { return !state.canEdit },
    get undoDepth () { return ctx.edits?.history.undoStack.length ?? 0 },
    get redoDepth () { return ctx.edits?.history.redoStack.length ?? 0 },
    get burned () { return !!ctx.player?.burned },
    get currentTimeMs () { return ctx.player ? ctx.player.timeMs : null }
  }),
  writable: false,
  configurable: false
})
