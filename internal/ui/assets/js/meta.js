// meta is what the server told the app about itself (ui.Options), read
// from the JSON in index.html.
function read() {
  try {
    return JSON.parse(document.getElementById('drover-meta').textContent);
  } catch {
    return {auth: false, scorers: [], worker_mode: ''};
  }
}

export const meta = read();
