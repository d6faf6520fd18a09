// The scan viewer: OpenSeadragon (zoom, pan, keyboard) over the node's rendered PNGs, the scan's
// COCO boxes as OpenSeadragon overlays with their HS codes, a view switch (high, low, material)
// and a contrast slider. No inline script or style: state goes through data-* attributes and
// the CSSOM, which the page's Content-Security-Policy allows.
(function () {
  "use strict";
  var element = document.getElementById("viewer");
  if (!element || typeof OpenSeadragon === "undefined") { return; }
  // OpenSeadragon adds an inline <style> (a touch-screen focus rule) unless an element
  // matching style[data-openseadragon-mobile-css] exists. The CSP forbids inline styles (even
  // an empty HTML <style>), so the marker is a "style" element of a namespace of our own: the
  // selector matches it, the browser never treats it as a style sheet. The rule is in app.css.
  if (!document.querySelector("style[data-openseadragon-mobile-css]")) {
    var marker = document.createElementNS("urn:clearance:marker", "style");
    marker.setAttribute("data-openseadragon-mobile-css", "true");
    document.head.appendChild(marker);
  }
  var base = element.getAttribute("data-base");
  var width = Number(element.getAttribute("data-width"));
  var view = "high";
  var viewer = OpenSeadragon({
    element: element,
    tileSources: { type: "image", url: base + "/high.png" },
    drawer: "canvas",
    showNavigationControl: false,
    gestureSettingsMouse: { clickToZoom: false },
    maxZoomPixelRatio: 8,
    visibilityRatio: 0.5
  });

  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll("#boxes li"));
  }

  function addBoxes() {
    boxes().forEach(function (item) {
      var box = document.createElement("div");
      box.className = "box";
      box.setAttribute("data-hs", item.getAttribute("data-hs"));
      var label = document.createElement("span");
      label.textContent = item.getAttribute("data-hs");
      box.appendChild(label);
      var rect = new OpenSeadragon.Rect(
        Number(item.getAttribute("data-x")) / width, Number(item.getAttribute("data-y")) / width,
        Number(item.getAttribute("data-w")) / width, Number(item.getAttribute("data-h")) / width
      );
      viewer.addOverlay({ element: box, location: rect });
    });
    element.setAttribute("data-boxes", String(boxes().length));
  }

  viewer.addHandler("open", function () {
    element.removeAttribute("data-drawn");
    addBoxes();
    applyContrast();
  });
  viewer.addHandler("tile-drawn", function () {
    element.setAttribute("data-drawn", view);
  });

  function applyContrast() {
    var canvas = element.querySelector("canvas");
    var value = document.getElementById("contrast").value;
    if (canvas) { canvas.style.filter = "contrast(" + value + "%)"; }
    element.setAttribute("data-contrast", value);
  }

  document.querySelectorAll("input[name=view]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      if (!radio.checked) { return; }
      view = radio.value;
      viewer.open({ type: "image", url: base + "/" + view + ".png" });
    });
  });
  document.getElementById("contrast").addEventListener("input", applyContrast);
  document.getElementById("show-boxes").addEventListener("change", function (event) {
    element.classList.toggle("no-boxes", !event.target.checked);
  });
  document.getElementById("zoom-in").addEventListener("click", function () {
    viewer.viewport.zoomBy(1.5);
  });
  document.getElementById("zoom-out").addEventListener("click", function () {
    viewer.viewport.zoomBy(1 / 1.5);
  });
  document.getElementById("zoom-home").addEventListener("click", function () {
    viewer.viewport.goHome();
  });
}());
