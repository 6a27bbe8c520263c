// The cue list: number, start, end, duration, cps, editable text, findings badges and a read-only second language.
// Rows are kept by cue id and updated in place, so typing and focus survive a save or a lint.
import { breakMakesBlankLine, cps, el, formatMs, formatSeconds, parseTime, tidyText } from './format.js'

export class CueList {
  /**
   * @param {HTMLElement} container
   * @param {object} h handlers: onSelect(id, {seek}), onText(id, text), onTextDone(id), onTime(id, which, ms),
   *   draftOf(id) (the unsaved text of a cue, or undefined)
   * @param {object} profile the language profile (max_cps, direction)
   * @param {string} lang
   */
  constructor (container, h, profile, lang) {
    this.container = container
    this.h = h
    this.profile = profile
    this.lang = lang
    this.rows = new Map()
    this.selected = null
    this.playing = null
    this.otherLang = null
    this.readOnly = false
  }

  setProfile (profile) { this.profile = profile }

  /** Read only (a language not the person's): the fields can be read, selected and copied, not changed. */
  setReadOnly (on) {
    this.readOnly = on
    for (const row of this.rows.values()) for (const f of row.querySelectorAll('.time, .text')) f.readOnly = on
  }

  /** Show `cues`; `findings` maps cue id -> findings; `other` is the second language's cues (or null). */
  render (cues, findings, other, otherLang) {
    this.otherLang = otherLang
    const seen = new Set()
    let prev = null
    cues.forEach((cue, i) => {
      seen.add(cue.id)
      let row = this.rows.get(cue.id)
      if (!row) { row = this.makeRow(cue.id); this.rows.set(cue.id, row) }
      this.fill(row, cue, i, findings.get(cue.id) || [], other)
      const where = prev ? prev.nextSibling : this.container.firstChild
      if (where !== row) { this.container.insertBefore(row, where); fitHeight(row.querySelector('.text')) }
      prev = row
    })
    for (const [id, row] of this.rows) {
      if (!seen.has(id)) { row.remove(); this.rows.delete(id) }
    }
    this.container.classList.toggle('with-other', !!other)
  }

  makeRow (id) {
    const start = el('input', { class: 'time start', testid: 'cue-start', 'aria-label': 'start', spellcheck: 'false' })
    const end = el('input', { class: 'time end', testid: 'cue-end', 'aria-label': 'end', spellcheck: 'false' })
    const text = el('textarea', { class: 'text', testid: 'cue-text', rows: '2', 'aria-label': 'text', lang: this.lang, dir: this.profile.direction || 'auto' })
    for (const f of [start, end, text]) f.readOnly = this.readOnly
    const row = el('div', { class: 'cue', testid: 'cue-row', 'data-cue-id': id, role: 'row' },
      el('span', { class: 'num', testid: 'cue-num' }),
      el('span', { class: 'times' }, start, end),
      el('span', { class: 'dur', testid: 'cue-duration' }),
      el('span', { class: 'cps', testid: 'cue-cps' }),
      text,
      el('span', { class: 'badges', testid: 'cue-findings' }),
      el('div', { class: 'other', testid: 'cue-other' }),
      el('div', { class: 'cue-error', testid: 'cue-error', role: 'alert', hidden: true }))
    row.addEventListener('mousedown', (e) => {
      if (!(e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement)) this.h.onSelect(id, { seek: true })
    })
    for (const input of [start, end, text]) input.addEventListener('focus', () => this.h.onSelect(id, { seek: false }))
    // No blank line can be typed or pasted: Enter that would make one does nothing, and a paste loses its blank lines.
    text.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.ctrlKey && !e.metaKey && !e.altKey && !e.isComposing &&
        breakMakesBlankLine(text.value, text.selectionStart, text.selectionEnd)) e.preventDefault()
    })
    text.addEventListener('input', () => {
      tidyField(text)
      fitHeight(text)
      this.updateRate(row, text.value)
      this.h.onText(id, text.value)
    })
    text.addEventListener('blur', () => {
      if (tidyText(text.value) === text.dataset.saved) text.value = text.dataset.saved // a trailing line break
      this.h.onTextDone(id)
    })
    for (const [input, which] of [[start, 'start'], [end, 'end']]) {
      const commit = () => {
        if (input.value === input.dataset.saved) return
        const ms = parseTime(input.value)
        input.classList.toggle('invalid', ms === null)
        if (ms !== null) this.h.onTime(id, which, ms)
        else this.h.onBadTime?.(which, input.value)
      }
      input.addEventListener('change', commit)
      input.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') { e.preventDefault(); commit() }
        if (e.key === 'Escape') { input.value = input.dataset.saved; input.classList.remove('invalid') }
      })
    }
    return row
  }

  fill (row, cue, i, findings, other) {
    const q = (cls) => row.querySelector(cls)
    q('.num').textContent = String(i + 1)
    row.dataset.index = String(i)
    row.classList.toggle('edited', !!cue.edited)
    for (const [input, ms] of [[q('.start'), cue.start_ms], [q('.end'), cue.end_ms]]) {
      const text = formatMs(ms)
      if (document.activeElement !== input || input.value === input.dataset.saved) {
        input.value = text
        input.classList.remove('invalid')
      }
      input.dataset.saved = text
    }
    q('.dur').textContent = formatSeconds(cue.end_ms - cue.start_ms)
    row.dataset.durationMs = String(cue.end_ms - cue.start_ms)
    const area = q('.text')
    area.dir = this.profile.direction || 'auto'
    if (area.dataset.saved !== cue.text) {
      // Someone else's text (or a save echo): show it unless the person is typing something else here, or has
      // unsaved text for this cue (a refused save: the typed text stays until it is saved or given up).
      const draft = this.h.draftOf?.(cue.id)
      const shown = draft !== undefined && tidyText(draft) !== cue.text ? draft : cue.text
      if (document.activeElement !== area || area.value === area.dataset.saved) area.value = shown
      area.dataset.saved = cue.text
    }
    fitHeight(area)
    this.updateRate(row, area.value)
    this.fillBadges(q('.badges'), findings)
    row.classList.toggle('has-error', findings.some((f) => f.severity === 'error'))
    row.classList.toggle('has-warning', findings.some((f) => f.severity === 'warning'))
    const o = q('.other')
    if (other) {
      const texts = other.filter((c) => c.start_ms < cue.end_ms && c.end_ms > cue.start_ms).map((c) => c.text)
      o.textContent = texts.join('\n')
      o.lang = this.otherLang || ''
      o.dir = 'auto'
      o.hidden = false
    } else {
      o.textContent = ''
      o.hidden = true
    }
  }

  updateRate (row, text) {
    const rate = cps(text, Number(row.dataset.durationMs))
    const span = row.querySelector('.cps')
    span.textContent = Number.isFinite(rate) ? rate.toFixed(1) : '∞'
    span.classList.toggle('over', rate > (this.profile.max_cps || Infinity))
  }

  fillBadges (box, findings) {
    box.replaceChildren(...findings.map((f) => el('span', {
      class: `badge ${f.severity}`,
      testid: 'finding-badge',
      'data-rule': f.rule,
      'data-severity': f.severity,
      title: f.fix ? `${f.message}\nfix: ${f.fix}` : f.message,
      text: f.rule.replace(/_/g, ' ')
    })))
  }

  /**
   * The server's reason for refusing a change of cue `id` (`field`: text, start_ms, end_ms), shown at the cue;
   * null clears it (`id` null: at every cue).
   */
  showError (id, text, field = null) {
    for (const [rid, row] of id === null ? this.rows : [[id, this.rows.get(id)]]) {
      const box = row?.querySelector('.cue-error')
      if (!box) continue
      box.textContent = text ? `${field ? `${field.replace(/_ms$/, '')}: ` : ''}${text}` : ''
      box.hidden = !text
      row.classList.toggle('refused', !!text)
      if (text && field && field !== 'text') this.markInvalid(rid, field.replace(/_ms$/, ''))
      if (text) row.scrollIntoView({ block: 'nearest' })
    }
  }

  /** The cue's fields back to their saved values (a change the server refused outright, e.g. 403). */
  revert (id) {
    const row = this.rows.get(id)
    if (!row) return
    for (const f of row.querySelectorAll('.time, .text')) {
      if (f.dataset.saved !== undefined) f.value = f.dataset.saved
      f.classList.remove('invalid')
    }
    fitHeight(row.querySelector('.text'))
    this.updateRate(row, row.querySelector('.text').value)
  }

  /** A typed time the server refused: marked until the next valid value (Escape restores the saved one). */
  markInvalid (id, which) {
    this.rows.get(id)?.querySelector(`.time.${which}`)?.classList.add('invalid')
  }

  /** Forget every row (the track was reloaded: its ids may name other cues now). */
  clear () {
    for (const row of this.rows.values()) row.remove()
    this.rows.clear()
    this.selected = null
    this.playing = null
  }

  row (id) { return this.rows.get(id) || null }
  textArea (id) { return this.rows.get(id)?.querySelector('.text') || null }

  select (id, scroll = true) {
    if (this.selected) this.rows.get(this.selected)?.classList.remove('selected')
    this.selected = id
    const row = id && this.rows.get(id)
    if (row) {
      row.classList.add('selected')
      row.setAttribute('aria-selected', 'true')
      if (scroll) row.scrollIntoView({ block: 'nearest' })
    }
  }

  /** The cue under the playhead while playing: highlighted and kept in view. */
  setPlaying (id) {
    if (id === this.playing) return
    if (this.playing) this.rows.get(this.playing)?.classList.remove('playing')
    this.playing = id
    const row = id && this.rows.get(id)
    if (row) {
      row.classList.add('playing')
      if (!row.contains(document.activeElement)) row.scrollIntoView({ block: 'nearest' })
    }
  }
}

/** Blank lines pasted or dropped into a cue's text go at once (the caret stays where it was in the text). */
function tidyField (area) {
  const tidy = tidyText(area.value, true)
  if (tidy === area.value) return
  const caret = tidyText(area.value.slice(0, area.selectionStart), true).length
  area.value = tidy
  area.setSelectionRange(caret, caret)
}

const SIZES_ITSELF = typeof CSS !== 'undefined' && CSS.supports('field-sizing', 'content')

/** A textarea as tall as its text (CSS field-sizing where the browser has it). */
function fitHeight (area) {
  if (SIZES_ITSELF || !area.isConnected) return
  area.style.height = 'auto'
  area.style.height = `${area.scrollHeight + 2}px`
}
