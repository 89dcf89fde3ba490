// stkg neighbourhood graph: the links around a resource, drawn with Cytoscape.js and expanded
// node by node from /resource.json. Without this script (or without Cytoscape.js) the page
// shows its plain list of links. Keyboard: focus the graph, move between nodes with the arrow
// keys, Enter expands the selected node, O opens its page; the node list below the graph
// offers the same as links and buttons.
(function () {
  "use strict";
  var section = document.getElementById("neighbourhood");
  if (!section || typeof window.cytoscape === "undefined" || !window.fetch) return;
  var rootIri = section.getAttribute("data-iri");
  var jsonUrl = section.getAttribute("data-resource-json") || "/resource.json";
  var MAX_NEW = 60; // new nodes per expansion; the node's page lists the rest
  // Colour by the element of a social-technical system (stkg.web.terms.ELEMENTS).
  var ELEMENTS = [
    ["system", "the system", "#0b5cad"], ["people", "people", "#bf3989"],
    ["technology", "technology", "#8250df"], ["processes", "processes", "#9a6700"],
    ["policies", "policies and controls", "#1a7f37"], ["context", "context of use", "#0a7d8c"],
    ["requirements", "framework requirements", "#cf222e"], ["frameworks", "frameworks", "#6e40c9"],
    ["other", "other", "#8c959f"],
  ];
  var COLOURS = {};
  ELEMENTS.forEach(function (e) { COLOURS[e[0]] = e[2]; });
  // Links that belong to the graph's bookkeeping, not to the governance picture.
  var RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
  var HIDDEN = [RDF + "type", RDF + "subject", RDF + "predicate", RDF + "object"];
  function shown(property) { return HIDDEN.indexOf(property && property.iri) < 0; }

  var wrap = document.createElement("div");
  wrap.className = "nb-graph-wrap";
  var help = document.createElement("p");
  help.id = "nb-help";
  help.className = "nb-help";
  help.textContent = "Click a node to expand its links; double-click it to open its page. " +
    "With the keyboard: focus the graph, choose a node with the arrow keys, press Enter to " +
    "expand it and O to open its page.";
  var container = document.createElement("div");
  container.id = "nb-graph";
  container.className = "nb-graph";
  container.tabIndex = 0;
  container.setAttribute("role", "application");
  container.setAttribute("aria-roledescription", "graph");
  container.setAttribute("aria-label", "Neighbourhood graph");
  container.setAttribute("aria-describedby", "nb-help");
  var status = document.createElement("p");
  status.id = "nb-status";
  status.className = "nb-status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  var details = document.createElement("details");
  details.className = "nb-list";
  var summary = document.createElement("summary");
  summary.textContent = "Nodes in the graph, to open or expand each one";
  var list = document.createElement("ul");
  list.id = "nb-nodes";
  list.className = "nb-nodes";
  details.append(summary, list);
  var legend = document.createElement("ul");
  legend.className = "nb-legend";
  legend.setAttribute("aria-label", "Colours of the graph");
  ELEMENTS.forEach(function (e) {
    var li = document.createElement("li");
    var swatch = document.createElement("span");
    swatch.className = "nb-swatch";
    swatch.style.background = e[2];
    li.append(swatch, " " + e[1]);
    legend.append(li);
  });
  wrap.append(help, legend, container, status, details);
  var fallback = section.querySelector(".neighbourhood-links");
  section.insertBefore(wrap, fallback || null);

  var cy = window.cytoscape({
    container: container,
    elements: [],
    minZoom: 0.2,
    maxZoom: 3,
    style: [
      { selector: "node", style: {
        "background-color": function (n) { return COLOURS[n.data("element")] || COLOURS.other; },
        "label": "data(label)", "font-size": 10, "color": "#1b1f24",
        "text-valign": "bottom", "text-margin-y": 4, "text-wrap": "wrap",
        "text-max-width": 96, "text-background-color": "#ffffff",
        "text-background-opacity": 0.85, "text-background-padding": 1,
        "width": 18, "height": 18 } },
      { selector: "node.expanded", style: { "border-width": 3, "border-color": "#1b1f24" } },
      { selector: "node.root", style: { "width": 28, "height": 28, "font-weight": "bold" } },
      { selector: "node:selected", style: { "border-width": 4, "border-color": "#f5a623" } },
      { selector: "edge", style: {
        "width": 1.5, "line-color": "#c4cad1", "target-arrow-color": "#c4cad1",
        "target-arrow-shape": "triangle", "curve-style": "bezier",
        "font-size": 8, "color": "#4a5563",
        "text-rotation": "autorotate", "text-background-color": "#ffffff",
        "text-background-opacity": 0.9 } },
      // Edge labels only around the node under the pointer, so they never pile up.
      { selector: "edge.near", style: { "label": "data(label)", "line-color": "#57606a",
        "target-arrow-color": "#57606a" } },
    ],
  });
  window.stkgNeighbourhood = cy; // for the browser tests and the curious

  var items = {}; // iri → list item
  var pending = {};

  function addNode(term, extra) {
    if (!term || !term.iri) return false;
    if (cy.getElementById(term.iri).nonempty()) return false;
    cy.add({ group: "nodes", data: {
      id: term.iri, label: term.label || term.text || term.iri, kind: term.kind || "resource",
      element: term.element || (term.kind === "system" ? "system" : "other"),
      url: term.url || "" }, classes: extra || "" });
    var li = document.createElement("li");
    var link = document.createElement("a");
    link.href = term.url || "#";
    link.textContent = term.label || term.text || term.iri;
    link.title = term.iri;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "nb-expand";
    button.textContent = "Expand";
    button.setAttribute("aria-label", "Expand " + link.textContent);
    button.addEventListener("click", function () { expand(term.iri); });
    li.append(link, " ", button);
    list.append(li);
    items[term.iri] = li;
    return true;
  }

  function addEdge(source, property, target) {
    if (!source || !target) return;
    var id = source + " " + (property.iri || property.text) + " " + target;
    if (cy.getElementById(id).nonempty()) return;
    cy.add({ group: "edges", data: { id: id, source: source, target: target,
      label: property.label || property.text || "" } });
  }

  // Rings around the starting resource, one per step away from it; a step with many nodes
  // takes several rings of at most RING nodes, grouped by element, so labels keep apart.
  var RING = 10;
  function layout() {
    var root = cy.getElementById(rootIri);
    var steps = {};
    cy.elements().breadthFirstSearch({ roots: root, directed: false,
      visit: function (node, edge, previous, index, depth) {
        (steps[depth] = steps[depth] || []).push(node);
      } });
    var ring = 0;
    var order = ELEMENTS.map(function (e) { return e[0]; });
    Object.keys(steps).map(Number).sort(function (a, b) { return a - b; }).forEach(function (d) {
      var nodes = steps[d].sort(function (a, b) {
        return order.indexOf(a.data("element")) - order.indexOf(b.data("element"));
      });
      nodes.forEach(function (node, i) {
        node.scratch("_ring", ring + (d === 0 ? 0 : Math.floor(i / RING)));
      });
      ring += d === 0 ? 1 : Math.ceil(nodes.length / RING);
    });
    cy.layout({ name: "concentric", animate: false, fit: true, padding: 32,
      avoidOverlap: true, minNodeSpacing: 56, startAngle: Math.PI / 2,
      concentric: function (node) { return ring - (node.scratch("_ring") || 0); },
      levelWidth: function () { return 1; } }).run();
  }

  function expand(iri) {
    var node = cy.getElementById(iri);
    if (pending[iri] || (node.nonempty() && node.hasClass("expanded"))) {
      select(iri);
      return Promise.resolve();
    }
    pending[iri] = true;
    status.textContent = "Loading the links of " + (node.nonempty() ? node.data("label") : iri) + "…";
    var url = jsonUrl + (jsonUrl.indexOf("?") < 0 ? "?" : "&") + "iri=" + encodeURIComponent(iri);
    return fetch(url, { headers: { Accept: "application/json" } })
      .then(function (answer) {
        if (!answer.ok) throw new Error("HTTP " + answer.status);
        return answer.json();
      })
      .then(function (data) {
        addNode(data.resource, iri === rootIri ? "root" : "");
        var added = 0, skipped = 0;
        function take(term) {
          if (cy.getElementById(term.iri).nonempty()) return true;
          if (added >= MAX_NEW) { skipped += 1; return false; }
          added += 1;
          return addNode(term);
        }
        (data.outgoing.links || []).forEach(function (link) {
          if (!shown(link.property)) return;
          if (link.value && link.value.iri && take(link.value)) addEdge(iri, link.property, link.value.iri);
        });
        (data.incoming.links || []).forEach(function (link) {
          if (!shown(link.property)) return;
          if (link.subject && link.subject.iri && take(link.subject)) addEdge(link.subject.iri, link.property, iri);
        });
        var more = skipped + Math.max(0, data.outgoing.total - data.outgoing.links.length) +
          Math.max(0, data.incoming.total - data.incoming.links.length);
        var expanded = cy.getElementById(iri);
        expanded.addClass("expanded");
        var li = items[iri];
        if (li) {
          var button = li.querySelector("button");
          button.disabled = true;
          button.textContent = "Expanded";
        }
        layout();
        select(iri);
        status.textContent = expanded.data("label") + ": " + added + " new node" +
          (added === 1 ? "" : "s") + (more ? "; " + more + " more links on its page." : ".") +
          " " + cy.nodes().length + " nodes in the graph.";
      })
      .catch(function (error) {
        status.textContent = "Could not load the links of " + iri + ": " + error.message;
      })
      .then(function () { delete pending[iri]; });
  }

  function select(iri) {
    cy.nodes().unselect();
    var node = cy.getElementById(iri);
    if (node.empty()) return;
    node.select();
    container.setAttribute("aria-label", "Neighbourhood graph; selected: " + node.data("label"));
  }

  function open(node) {
    if (node && node.nonempty() && node.data("url")) window.location.href = node.data("url");
  }

  cy.on("tap", "node", function (event) { expand(event.target.id()); });
  cy.on("mouseover", "node", function (event) { event.target.connectedEdges().addClass("near"); });
  cy.on("mouseout", "node", function (event) { event.target.connectedEdges().removeClass("near"); });
  cy.on("dbltap", "node", function (event) { open(event.target); });

  container.addEventListener("keydown", function (event) {
    var nodes = cy.nodes();
    if (!nodes.length) return;
    var current = cy.nodes(":selected");
    var index = current.nonempty() ? nodes.indexOf(current[0]) : -1;
    if (event.key === "ArrowRight" || event.key === "ArrowDown") {
      select(nodes[(index + 1) % nodes.length].id());
    } else if (event.key === "ArrowLeft" || event.key === "ArrowUp") {
      select(nodes[(index - 1 + nodes.length) % nodes.length].id());
    } else if (event.key === "Enter" || event.key === " ") {
      if (current.nonempty()) expand(current.id());
    } else if (event.key === "o" || event.key === "O") {
      open(current);
    } else {
      return;
    }
    event.preventDefault();
  });

  expand(rootIri);
})();
