/* Words for scripts in the page's language. The server renders the catalogue of every
 * string the scripts mark with t("…") into <script type="application/json" id="catalogue">
 * (templates/base.html, circles/languages.py), so the strict CSP is kept: nothing inline
 * runs. English needs no catalogue: a message missing from it is shown as written.
 *
 * t("Ready: %(ready)s of %(here)s here", {ready: 2, here: 3}) fills in named values.
 * Extraction (`make messages`, babel.cfg) finds t("…") calls with a single string literal.
 */

var catalogue = null;

function load() {
  if (catalogue === null) {
    catalogue = {};
    var node = typeof document === "undefined" ? null : document.getElementById("catalogue");
    if (node) {
      try {
        catalogue = JSON.parse(node.textContent) || {};
      } catch (error) {
        catalogue = {};
      }
    }
  }
  return catalogue;
}

export function t(message, values) {
  var text = load()[message] || message;
  if (!values) {
    return text;
  }
  return text.replace(/%\((\w+)\)s/g, function (whole, name) {
    return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
  });
}
