// The studio's HTTP contract (docs/studio-api.md) as small async functions. Errors are ApiError with the server's message.

export class ApiError extends Error {
  /** @param {number} status @param {any} body @param {string|null} retryAfter the 429's Retry-After header */
  constructor (status, body, retryAfter = null) {
    super((body && body.error) || `HTTP ${status}`)
    this.status = status
    this.body = body || {}
    this.field = this.body.field ?? null
    const seconds = Number(retryAfter)
    this.retryAfter = status === 429 ? (Number.isFinite(seconds) && seconds >= 0 ? seconds : 1) : null
  }
}

let session = null

/** GET /api/session once; its csrf token goes on every state-changing request. */
export async function getSession () {
  if (!session) session = getJSON('/api/session')
  return session
}

async function parse (res) {
  const type = res.headers.get('content-type') || ''
  const body = type.includes('json') ? await res.json().catch(() => null) : null
  if (!res.ok) throw new ApiError(res.status, body || { error: `${res.status} ${res.statusText}` }, res.headers.get('retry-after'))
  return body
}

export async function getJSON (url) {
  const res = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
  return parse(res)
}

export async function getText (url) {
  const res = await fetch(url, { credentials: 'same-origin' })
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null), res.headers.get('retry-after'))
  return res.text()
}

export async function postJSON (url, body) {
  const { csrf } = await getSession()
  const res = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'X-CSRF-Token': csrf },
    body: JSON.stringify(body ?? {})
  })
  return parse(res)
}

/**
 * `call()` once more after the seconds a 429 answer names (`waiting(seconds)` first, to say so); any other error,
 * or a second 429, is thrown.
 */
export async function retryOnce (call, waiting) {
  try {
    return await call()
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 429) throw e
    waiting?.(e.retryAfter)
    await new Promise((resolve) => setTimeout(resolve, e.retryAfter * 1000))
    return call()
  }
}

/** End the session (a studio with a users file) and go to the sign-in page. */
export async function signOut () {
  await postJSON('/api/logout', {})
  session = null
}

/** What the session's user may do with a language: edit it, approve it; and export (every language). */
const languagesOf = (s) => s.languages ?? ['*'] // a studio from before named users: its one user has them all
export function mayEdit (s, lang) { return !!s && languagesOf(s).some((l) => l === '*' || l === lang) }
export function mayApprove (s, lang) { return !!s && s.role === 'approver' && mayEdit(s, lang) }
export function mayExport (s) { return !!s && s.role === 'approver' && languagesOf(s).includes('*') }

const enc = encodeURIComponent

/** URLs of one track's API. */
export function trackApi (video, lang) {
  const base = `/api/videos/${enc(video)}/tracks/${enc(lang)}`
  return {
    get: () => getJSON(base),
    ass: () => getText(`${base}/ass`),
    edits: (label, changes) => postJSON(`${base}/edits`, { label, changes }),
    lint: (changes) => postJSON(`${base}/lint`, { changes }),
    reflow: (text) => postJSON(`${base}/reflow`, { text }),
    history: (id) => getJSON(`${base}/cues/${enc(id)}/history`),
    approve: (digest) => postJSON(`${base}/approve`, { digest: digest ?? null })
  }
}

export const videoApi = (video) => getJSON(`/api/videos/${enc(video)}`)
export const peaksApi = (url) => getJSON(url)
export const overviewApi = () => getJSON('/api/overview')
export const exportApi = () => postJSON('/api/export', {})

/** The studio's events (one stream shared by the browser's studio pages, see stream.js). */
export { listenShared as listen } from './stream.js'
