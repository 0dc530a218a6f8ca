// The console's sign-in page: one field for the token. No script; the style carries
// the response's CSP nonce. Everything interpolated is our own text, escaped anyway.
export function signInPage(nonce: string, error?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · callback-router console</title>
<style nonce="${escapeHtml(nonce)}">
body{font:15px/1.5 system-ui,sans-serif;background:#f4f6fa;color:#1d2433;display:grid;place-items:center;min-height:100vh;margin:0}
form{background:#fff;padding:32px;border-radius:10px;box-shadow:0 2px 12px #0002;width:340px}
h1{font-size:20px;margin:0 0 16px}label{display:block;margin-bottom:6px;font-weight:600}
input{width:100%;box-sizing:border-box;padding:9px;border:1px solid #c5cbd8;border-radius:6px;font:inherit}
button{margin-top:16px;width:100%;padding:10px;border:0;border-radius:6px;background:#2456d3;color:#fff;font:inherit;font-weight:600;cursor:pointer}
.error{color:#b42318;margin:0 0 12px}p.hint{color:#5b6475;font-size:13px}
</style></head>
<body><form method="post" action="/console/login">
<h1>Sign in to the callback-router console</h1>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<label for="token">Console token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<p class="hint">The value of CALLBACK_ROUTER_CONSOLE_TOKEN on the daemon's host.</p>
<button type="submit">Sign in</button>
</form></body></html>
`
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}
