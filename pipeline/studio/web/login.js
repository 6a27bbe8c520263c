// The sign-in page of a studio with a users file: POST /api/login, then back to where the person was going.

const form = document.getElementById("sign-in");
const problem = document.getElementById("problem");

function destination() {
  const next = new URLSearchParams(location.search).get("next") || "/";
  // only a path of this studio: never another origin, never a scheme-relative //host
  return next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  problem.textContent = "";
  const body = JSON.stringify({ name: form.elements.name.value, password: form.elements.password.value });
  let answer;
  try {
    answer = await fetch("/api/login", { method: "POST", headers: { "content-type": "application/json" }, body });
  } catch (error) {
    problem.textContent = `The studio does not answer (${error.message}).`;
    return;
  }
  if (answer.ok) {
    location.assign(destination());
    return;
  }
  const data = await answer.json().catch(() => ({}));
  problem.textContent = data.error || `Sign-in refused (${answer.status}).`;
});
