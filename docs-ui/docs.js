// The docs page: Swagger UI over this host's /openapi.json. "Try it out" calls the same host with the
// token pasted under "Authorize"; nothing is persisted and nothing is configured from the URL.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: false,
    queryConfigEnabled: false,
    persistAuthorization: false,
    tryItOutEnabled: false,
    displayRequestDuration: true,
    validatorUrl: null,
    withCredentials: false,
  });
});
