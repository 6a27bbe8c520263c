// A live preview of unsaved changes: the server's last ASS document with the typed texts and the dragged times put
// into its Dialogue lines, so JASSUB shows them before the save. Only when the document maps one line per cue in
// order and each line's text is the cue's saved text; otherwise null (the preview waits for the save).

const escapeText = (text) => text.replace(/\r?\n/g, '\\N')

/** 2371 -> "0:00:02.37" (ASS times are centiseconds; the burn's document truncates). */
export function assTime (ms) {
  const cs = Math.floor(ms / 10)
  const h = Math.floor(cs / 360000)
  const m = Math.floor(cs / 6000) % 60
  const s = Math.floor(cs / 100) % 60
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(cs % 100).padStart(2, '0')}`
}

/**
 * @param {string} ass the saved document @param {object[]} cues saved cues, in order
 * @param {Map<string, string>} drafts unsaved texts by cue id @param {{id, start_ms, end_ms}|null} drag
 */
export function previewAss (ass, cues, drafts, drag) {
  const lines = ass.split('\n')
  const at = []
  lines.forEach((line, i) => { if (line.startsWith('Dialogue:')) at.push(i) })
  if (at.length !== cues.length) return null
  for (let k = 0; k < cues.length; k++) {
    const cue = cues[k]
    const draft = drafts.get(cue.id)
    const moved = drag && drag.id === cue.id
    if (draft === undefined && !moved) continue
    const raw = lines[at[k]]
    const cr = raw.endsWith('\r') ? '\r' : ''
    const fields = splitDialogue(raw.slice(0, raw.length - cr.length))
    if (!fields || fields.text !== escapeText(cue.text)) return null
    const head = fields.head.slice()
    if (moved) { head[1] = assTime(drag.start_ms); head[2] = assTime(drag.end_ms) }
    lines[at[k]] = `${head.join(',')},${escapeText(draft ?? cue.text)}${cr}`
  }
  return lines.join('\n')
}

/** "Dialogue: 0,start,end,style,name,l,r,v,effect,text" -> the nine fields before the text, and the text. */
function splitDialogue (line) {
  const head = []
  let from = 0
  for (let n = 0; n < 9; n++) {
    const comma = line.indexOf(',', from)
    if (comma < 0) return null
    head.push(line.slice(from, comma))
    from = comma + 1
  }
  return { head, text: line.slice(from) }
}
