// The sign-in page of a studio with a users file: POST /api/login, then back to where the person was going.

const form = document.getElementById("sign-in");
const problem = document.getElementById("problem");

function destination() {
  const next = new URLSearchParams(location.search).get("next") || "/";
  // only a page of this studio, never another origin: a scheme-relative //host, or /\host (URL parsing reads a
  // backslash as a slash), would leave it; so the address is resolved here, its origin checked, and kept absolute
  // (its path alone may start with // again: /.//host)
  if (!next.startsWith("/")) return "/";
  const url = new URL(next, location.origin);
  return url.origin === location.origin ? url.href : "/";
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  problem.textContent = "";
  const body = JSON.stringify({ name: form.elements.name.value, password: form.elements.password.value });
  const button = form.querySelector("button[type=submit]");
  button.disabled = true; // one try at a time (each costs the studio an Argon2 check)
  let answer;
  try {
    answer = await fetch("/api/login", { method: "POST", headers: { "content-type": "application/json" }, body });
  } catch (error) {
    problem.textContent = `The studio does not answer (${error.message}).`;
    return;
  } finally {
    button.disabled = false;
  }
  if (answer.ok) {
    location.assign(destination());
    return;
  }
  const data = await answer.json().catch(() => ({}));
  problem.textContent = data.error || `Sign-in refused (${answer.status}).`;
});
