// Starts Swagger UI on /docs with the settings in the page's "swagger-config" JSON block
// (api/routes/docs.py). A file, not an inline script: the Content-Security-Policy allows
// scripts from this server only.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("swagger-config").textContent);
  config.oauth2RedirectUrl = window.location.origin + config.oauth2RedirectUrl;
  config.presets = [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset];
  window.ui = SwaggerUIBundle(config);
})();
