// Who is signed in, in the header of the overview and the editor: the name and role, and with a users file a
// "Sign out" button (POST /api/logout, then the sign-in page). Signing out in one tab sends the studio's other tabs
// of this browser to the sign-in page too (they share the cookie, so their session has ended as well).
import { signOut } from './api.js'
import { el } from './format.js'

const CHANNEL = 'subpipe-studio-session'
const here = () => location.pathname + location.search

/** The user's name in `#user`; with a users file, a Sign out button after it. `failed(e)` if the studio refuses. */
export function showAccount (session, failed) {
  const span = document.getElementById('user')
  span.textContent = `${session.user} (${session.role})`
  const langs = session.languages ?? ['*']
  span.title = langs.includes('*') ? 'every language' : `languages: ${langs.join(', ')}`
  if (!session.sign_in) return
  const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(CHANNEL)
  channel?.addEventListener('message', ({ data }) => {
    if (data === 'signed-out') location.assign(`/login?${new URLSearchParams({ next: here() })}`)
  })
  const button = el('button', { type: 'button', id: 'sign-out', testid: 'sign-out', text: 'Sign out' })
  button.addEventListener('click', async () => {
    button.disabled = true
    try {
      await signOut()
    } catch (e) {
      button.disabled = false
      if (e.status !== 401) { failed(e); return } // 401: the session had already ended
    }
    channel?.postMessage('signed-out')
    location.assign('/login')
  })
  span.after(button)
}
