// stkg SPARQL editor: turns the plain query form into YASGUI, pointed at this server only.
// Without this script (or without the YASGUI assets) the form works as it is.
(function () {
  "use strict";
  var root = document.getElementById("yasgui");
  var form = document.getElementById("editor-form");
  if (!root || !form || typeof window.Yasgui === "undefined") return;
  var Yasgui = window.Yasgui;

  // Only local autocompleters: "prefixes" uses the list bundled with YASQE while
  // prefixCcApi is null; "variables" reads the query itself. The defaults also include
  // "class" and "property", which ask Linked Open Vocabularies on every keystroke. The
  // defaults object is changed too, because YASGUI merges arrays index by index.
  var completers = ["prefixes", "variables"];
  Yasgui.Yasqe.defaults.autocompleters = completers.slice();
  Yasgui.Yasqe.defaults.prefixCcApi = null;
  if (Yasgui.defaults.yasqe) {
    Yasgui.defaults.yasqe.autocompleters = completers.slice();
    Yasgui.defaults.yasqe.prefixCcApi = null;
  }

  var endpoint = new URL(root.getAttribute("data-endpoint"), window.location.href).href;
  var textarea = form.querySelector("textarea[name=query]");
  var examples = [];
  try {
    examples = JSON.parse(document.getElementById("editor-examples").textContent);
  } catch (e) {
    examples = [];
  }

  root.hidden = false;
  var yasgui = new Yasgui(root, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: {
      getData: function () { return [{ endpoint: endpoint }]; },
      keys: [],
    },
    persistenceId: null, // the page's query wins over a stored session
    populateFromUrl: false,
    autofocus: false,
    yasqe: { autocompleters: completers.slice(), prefixCcApi: null },
  });
  var tab = yasgui.getTab();
  tab.setEndpoint(endpoint);
  tab.setQuery(textarea.value);
  form.hidden = true;
  // YASGUI leaves some controls unnamed and a tab list without tabs (axe-core: critical):
  // name them, and drop the role its children do not fill; again on each new tab.
  function accessible() {
    root.querySelectorAll("input.autocomplete").forEach(function (input) {
      if (!input.getAttribute("aria-label")) input.setAttribute("aria-label", "SPARQL endpoint");
    });
    root.querySelectorAll(".CodeMirror textarea").forEach(function (area) {
      if (!area.getAttribute("aria-label")) area.setAttribute("aria-label", "SPARQL query");
    });
    root.querySelectorAll('.tabsList[role="tablist"]').forEach(function (list) {
      list.removeAttribute("role"); // it holds more than tabs: plain links, then
      list.querySelectorAll('[role="tab"]').forEach(function (tab) {
        tab.removeAttribute("role");
        tab.removeAttribute("aria-selected");
      });
    });
  }
  accessible();
  new MutationObserver(accessible).observe(root, {
    childList: true, subtree: true, attributes: true, attributeFilter: ["role", "aria-selected"],
  });
  var results = document.getElementById("editor-results");
  if (results) results.hidden = true;

  // Examples open in a new tab of the editor instead of reloading the page.
  document.querySelectorAll("a[data-example]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var id = link.getAttribute("data-example");
      var example = examples.find(function (e) { return e.id === id; });
      if (!example) return;
      event.preventDefault();
      var added = yasgui.addTab(true, { name: example.summary });
      added.setEndpoint(endpoint);
      added.setQuery(example.sparql);
      root.scrollIntoView();
    });
  });
  window.stkgYasgui = yasgui; // for the browser tests and the curious
})();
