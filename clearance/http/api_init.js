// Starts Swagger UI on /api.html from the node's own copy (no CDN, no inline script).
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: "api", dom_id: "#swagger-ui", deepLinking: true });
});
