// Times, rates and snapping: pure functions shared by the editor's modules.

/** 83456 -> "0:01:23.456" (H:MM:SS.mmm). */
export function formatMs (ms) {
  const sign = ms < 0 ? '-' : ''
  ms = Math.abs(Math.round(ms))
  const h = Math.floor(ms / 3600000)
  const m = Math.floor(ms / 60000) % 60
  const s = Math.floor(ms / 1000) % 60
  const f = ms % 1000
  return `${sign}${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(f).padStart(3, '0')}`
}

/**
 * "1:23.4", "0:01:23.456", "83.456" or "01:23,456" -> milliseconds; null when it is not a time.
 * @param {string} text
 */
export function parseTime (text) {
  const parts = String(text).trim().split(':')
  if (parts.length > 3) return null
  const last = parts.pop().replace(',', '.')
  if (!/^\d+(\.\d{1,3})?$/.test(last) || !parts.every((p) => /^\d+$/.test(p))) return null
  const seconds = Number(last)
  if (parts.length && seconds >= 60) return null
  if (parts.length === 2 && Number(parts[1]) >= 60) return null
  const minutes = parts.reduce((acc, p) => acc * 60 + Number(p), 0)
  return Math.round((minutes * 60 + seconds) * 1000)
}

/** Seconds with one decimal: 1234 -> "1.2". */
export const formatSeconds = (ms) => (ms / 1000).toFixed(1)

/** Characters per second as the reader sees them (line breaks do not count); the server's lint is authoritative. */
export function cps (text, durationMs) {
  const chars = [...text.replace(/\n/g, '')].length
  return durationMs > 0 ? chars / (durationMs / 1000) : Infinity
}

/** A frame grid from the video's [num, den] rate: snap(ms) rounds to the nearest frame start. */
export function frameGrid (fps) {
  const [num, den] = fps && fps[0] > 0 && fps[1] > 0 ? fps : [25, 1]
  const frameMs = 1000 * den / num
  return {
    frameMs,
    snap: (ms) => Math.round(Math.round(ms / frameMs) * frameMs)
  }
}

/**
 * Where a dragged time lands: on a shot change when one is within `withinMs`, else on the frame grid.
 * @param {number} ms @param {{snap: (n:number)=>number}} grid @param {number[]} shots sorted
 */
export function snapTime (ms, grid, shots, withinMs = 150) {
  let best = null
  for (const s of nearby(shots, ms)) {
    if (Math.abs(s - ms) <= withinMs && (best === null || Math.abs(s - ms) < Math.abs(best - ms))) best = s
  }
  return best !== null ? best : grid.snap(ms)
}

function nearby (sorted, ms) {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (sorted[mid] < ms) lo = mid + 1
    else hi = mid
  }
  return sorted.slice(Math.max(0, lo - 1), lo + 1)
}

/** The index of the cue shown at `ms` (or -1). Cues are sorted by start. */
export function cueAt (cues, ms) {
  for (let i = 0; i < cues.length; i++) {
    if (cues[i].start_ms <= ms && ms < cues[i].end_ms) return i
    if (cues[i].start_ms > ms) break
  }
  return -1
}

/** A debounced function: the last call within `ms` runs. `.flush()` runs a pending call now, `.cancel()` drops it. */
export function debounce (fn, ms) {
  let timer = null
  let args = null
  const run = () => { timer = null; const a = args; args = null; return fn(...a) }
  const d = (...a) => { args = a; clearTimeout(timer); timer = setTimeout(run, ms) }
  d.flush = () => { if (timer !== null) { clearTimeout(timer); return run() } }
  d.cancel = () => { clearTimeout(timer); timer = null; args = null }
  d.pending = () => timer !== null
  return d
}

/** An element with attributes ({class, text, testid, ...}) and children; never uses innerHTML. */
export function el (tag, attrs = {}, ...children) {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue
    if (k === 'text') node.textContent = v
    else if (k === 'class') node.className = v
    else if (k === 'testid') node.dataset.testid = v
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v)
    else node.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c)
  return node
}

/**
 * A cue text as it may be sent: CR LF and CR as LF, tabs as spaces, no blank lines (the server refuses a blank
 * line: it ends a cue in SRT and WebVTT). `typing`: the last line may still be empty (Enter was just pressed).
 */
export function tidyText (text, typing = false) {
  const lines = String(text).replace(/\r\n?/g, '\n').replace(/\t/g, ' ').split('\n')
  const last = lines.length - 1
  return lines.filter((line, i) => line.trim() || (typing && i === last && i > 0)).join('\n')
}

/** Would a line break typed over [start, end) of `value` leave a blank line? */
export function breakMakesBlankLine (value, start, end) {
  const before = value.slice(0, start)
  const after = value.slice(end)
  return /(^|\n)[ \t]*$/.test(before) || /^[ \t]*\n/.test(after)
}
