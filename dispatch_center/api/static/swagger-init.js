// Starts Swagger UI on /docs with the settings in the page's "swagger-config" JSON block
// (api/routes/docs.py). A file, not an inline script: the Content-Security-Policy allows
// scripts from this server only.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("swagger-config").textContent);
  config.oauth2RedirectUrl = window.location.origin + config.oauth2RedirectUrl;
  config.presets = [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset];
  // "Try it out" while signed in by the session cookie: a change needs the CSRF header
  // (the dc_csrf cookie's value), as from every page.
  config.requestInterceptor = (req) => {
    const m = document.cookie.match(/(?:^|;\s*)dc_csrf=([^;]+)/);
    if (m && req.method && !/^(GET|HEAD)$/i.test(req.method)) req.headers["X-CSRF-Token"] = decodeURIComponent(m[1]);
    return req;
  };
  window.ui = SwaggerUIBundle(config);
})();
