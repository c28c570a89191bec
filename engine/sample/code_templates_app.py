"""Code-finding templates for how services handle requests and actions.

Covers missing audit logging, XSS, path traversal and other weaknesses (XXE, weak randomness and
hashing, SSRF, command injection, unsafe deserialization, disabled TLS checks, ...).

Part of `engine.sample.code_templates.TEMPLATES`; see there for the placeholders.
"""

from __future__ import annotations

from engine.sample.records import Tpl
from engine.sample.services import AUDIT, JAVA_SRC, OTHER, PATH, XSS

APP_TEMPLATES: dict[str, dict[str, tuple[Tpl, ...]]] = {
    AUDIT: {
        "java": (
            Tpl(
                "{W} {noun} is not audit-logged",
                "{E}Controller.{m}{E} {verb} a {w} without emitting an AuditEvent with the "
                "acting principal, the {w} id and the outcome. The action cannot be "
                "reconstructed during an incident or a customer dispute.",
                JAVA_SRC + "controller/{E}Controller.java",
                "CWE-778",
            ),
            Tpl(
                "Failed authorization on {w} endpoints is not logged",
                "{E}AccessPolicy returns 403 for {ws} the caller does not own without logging "
                "the principal or resource id. Enumeration attempts go unnoticed by the SIEM.",
                JAVA_SRC + "security/{E}AccessPolicy.java",
                "CWE-778",
            ),
        ),
        "python": (
            Tpl(
                "{W} {noun} is not audited",
                "{m}_{e} in app/routes/{es}.py {verb} a {w} without writing an audit record of "
                "the acting user, the {w} id and the old and new values. Misuse by a "
                "compromised account would leave no trace.",
                "app/routes/{es}.py",
                "CWE-778",
            ),
            Tpl(
                "Failed login attempts are not logged",
                "The login view returns 401 on bad credentials without logging the username, "
                "source IP or request id, so credential-stuffing against {svc} is invisible to "
                "alerting.",
                "app/routes/auth.py",
                "CWE-778",
                240,
            ),
        ),
        "typescript": (
            Tpl(
                "{W} {noun} is not audit-logged",
                "The {m} handler in {c}Controller {verb} a {w} without calling auditLog.record "
                "with the user, {w} id and result. Admin actions on {ws} cannot be traced.",
                "src/controllers/{c}Controller.ts",
                "CWE-778",
            ),
            Tpl(
                "Rejected API tokens are not logged",
                "requireAuth in src/middleware/auth.ts returns 401 on a bad or expired token "
                "without logging the request id, source IP or token subject. Brute-force "
                "attempts against {svc} go unnoticed.",
                "src/middleware/auth.ts",
                "CWE-778",
                160,
            ),
        ),
        "go": (
            Tpl(
                "{W} {noun} is not audit-logged",
                "The {m} handler for {ws} {verb} a {w} and returns 204 without publishing an "
                "audit event with the caller and {w} id. The change cannot be attributed "
                "later.",
                "internal/handlers/{e}.go",
                "CWE-778",
            ),
            Tpl(
                "Authorization failures dropped silently in middleware",
                "authz.Middleware writes 403 for {w} requests outside the caller's tenant but "
                "does not log the subject or resource. Cross-tenant probing is invisible.",
                "internal/middleware/authz.go",
                "CWE-223",
                200,
            ),
        ),
    },
    XSS: {
        "java": (
            Tpl(
                "Stored XSS via th:utext in {w} page",
                "templates/{es}/detail.html renders {c}.{fld} with th:utext, which skips "
                "escaping, and the field is editable by external users. A stored script runs "
                "for every back-office user who opens the {w}; use th:text.",
                "src/main/resources/templates/{es}/detail.html",
                "CWE-79",
                200,
            ),
            Tpl(
                "Reflected XSS in {E}Controller error response",
                '{E}Controller returns "Unknown {w}: " + {fld} as a text/html @ResponseBody '
                "without encoding. A crafted link executes script in the admin console origin; "
                "return JSON or HTML-encode the value.",
                JAVA_SRC + "controller/{E}Controller.java",
                "CWE-79",
            ),
        ),
        "python": (
            Tpl(
                "Stored XSS through |safe filter in {w} template",
                "templates/{es}/show.html renders {{{{ {e}.{fld}|safe }}}}, disabling Jinja2 "
                "autoescaping for a user-controlled field. Script stored in the {fld} field runs in "
                "other users' sessions; drop |safe or sanitise with bleach.",
                "app/templates/{es}/show.html",
                "CWE-79",
                200,
            ),
            Tpl(
                "Reflected XSS via render_template_string in {w} preview",
                "The {w} preview view passes request.args['{fld}'] into render_template_string "
                "inside the template source, so markup and script in the parameter are "
                "rendered as-is.",
                "app/routes/{es}.py",
                "CWE-79",
            ),
        ),
        "typescript": (
            Tpl(
                "Reflected XSS in {w} search page",
                "The /{k} handler interpolates req.query.{fld} into an HTML template literal and "
                "returns it with res.send, without escaping. A link with a script payload runs "
                "in the victim's session; render through the escaped view engine.",
                "src/routes/{c}Routes.ts",
                "CWE-79",
            ),
            Tpl(
                "Stored XSS through unescaped {fld} in {w} view",
                "src/views/{c}.ejs renders {c}.{fld} with <%- %>, which skips escaping, and the "
                "field is editable by sellers and partners. Use <%= %> or sanitise on save.",
                "src/views/{c}.ejs",
                "CWE-79",
                200,
            ),
        ),
        "go": (
            Tpl(
                "text/template used to render {w} page",
                "{file} renders the {w} page with text/template instead of html/template, so "
                "the user-controlled {fld} field is written without contextual escaping.",
                "internal/web/{e}_page.go",
                "CWE-79",
            ),
            Tpl(
                "Unescaped query parameter written with fmt.Fprintf",
                'The {w} handler writes fmt.Fprintf(w, "<p>No results for %s</p>", q) where q '
                "is the {fld} query parameter, with Content-Type text/html. Use "
                "html.EscapeString or a template.",
                "internal/handlers/{e}.go",
                "CWE-79",
            ),
        ),
    },
    PATH: {
        "java": (
            Tpl(
                "Path traversal in {w} attachment download",
                "{E}AttachmentController resolves Paths.get(storageRoot, {fp}) with the {fp} "
                "path variable and streams the file back without normalising it. A request "
                "for ../../etc/passwd reads arbitrary files; normalise and check the prefix.",
                JAVA_SRC + "controller/{E}AttachmentController.java",
                "CWE-22",
            ),
            Tpl(
                "Zip Slip in {w} bulk import",
                "{E}ImportService extracts uploaded ZIP archives by writing each ZipEntry name "
                "under the temp directory without checking for ../ segments, so an archive can "
                "overwrite files outside it.",
                JAVA_SRC + "service/{E}ImportService.java",
                "CWE-22",
            ),
        ),
        "python": (
            Tpl(
                "Path traversal in {w} file download",
                "download_{e} joins the '{fp}' URL segment onto UPLOAD_DIR with os.path.join "
                "and passes it to send_file. A value like ../../app/config.py reads arbitrary "
                "files; use safe_join.",
                "app/routes/{es}.py",
                "CWE-22",
            ),
            Tpl(
                "tarfile.extractall on uploaded {w} archive",
                "{file} calls tarfile.extractall on user-uploaded archives without a filter, "
                "so member names with ../ or absolute paths write outside the work directory.",
                "app/services/{e}_import.py",
                "CWE-22",
            ),
        ),
        "typescript": (
            Tpl(
                "Path traversal in {w} file endpoint",
                "{c}Controller.getFile calls res.sendFile(path.join(UPLOAD_DIR, req.params.{fp})) "
                "without checking the resolved path stays under UPLOAD_DIR, so ../ sequences "
                "read arbitrary files from the container.",
                "src/controllers/{c}Controller.ts",
                "CWE-22",
            ),
            Tpl(
                "User-controlled path passed to fs.createReadStream in {c}Service",
                "{c}Service.export opens fs.createReadStream with a path built from the {fp} "
                "query parameter. Resolve it and verify the prefix before reading.",
                "src/services/{c}Service.ts",
                "CWE-22",
            ),
        ),
        "go": (
            Tpl(
                "Path traversal in {w} file server",
                "The {w} handler serves http.ServeFile(w, r, filepath.Join(baseDir, {fp})) where "
                "{fp} comes from the query string; filepath.Join cleans but does not confine "
                "../ sequences. Use os.Root or check the prefix.",
                "internal/handlers/{e}.go",
                "CWE-22",
            ),
            Tpl(
                "Zip Slip in {w} archive extraction",
                "{file} writes each zip.File to filepath.Join(dest, f.Name) without rejecting "
                "names that escape dest, so a crafted archive overwrites arbitrary files.",
                "internal/{e}/extract.go",
                "CWE-22",
            ),
        ),
    },
    OTHER: {
        "java": (
            Tpl(
                "XML external entities enabled in {E}ImportService",
                "{E}ImportService parses uploaded XML with a DocumentBuilderFactory that leaves "
                "DTDs and external entities enabled. A file can read local files or reach "
                "internal hosts; set disallow-doctype-decl.",
                JAVA_SRC + "service/{E}ImportService.java",
                "CWE-611",
            ),
            Tpl(
                "{E} reference numbers generated with java.util.Random",
                "{E}ReferenceGenerator uses java.util.Random, so {w} references are "
                "predictable and can be enumerated by other customers; use SecureRandom.",
                JAVA_SRC + "util/{E}ReferenceGenerator.java",
                "CWE-338",
                120,
            ),
            Tpl(
                "MD5 used to sign {w} callbacks",
                "{E}SignatureVerifier computes callback signatures with MessageDigest MD5 over "
                "the body and a shared secret, which is open to collision and length-extension "
                "attacks; use HMAC-SHA256.",
                JAVA_SRC + "security/{E}SignatureVerifier.java",
                "CWE-327",
                160,
            ),
            Tpl(
                "Server-side request forgery in {w} webhook test endpoint",
                "{E}WebhookController.test fetches any URL supplied by the caller with "
                "RestTemplate, including http://169.254.169.254/ metadata addresses.",
                JAVA_SRC + "controller/{E}WebhookController.java",
                "CWE-918",
            ),
        ),
        "python": (
            Tpl(
                "Shell command built from {w} export name",
                '{file} runs subprocess.run(f"zip ... {{name}}", shell=True) with the '
                "user-chosen export name, so shell metacharacters execute commands on the "
                "worker.",
                "app/services/{e}_export.py",
                "CWE-78",
            ),
            Tpl(
                "pickle.loads on cached {ws} from Redis",
                "{file} deserialises cached {ws} with pickle.loads. Anyone who can write to "
                "the shared Redis instance can execute code in the service; use JSON.",
                "app/cache/{e}_cache.py",
                "CWE-502",
                160,
            ),
            Tpl(
                "TLS certificate verification disabled for {w} API calls",
                "{file} calls requests.post(..., verify=False) when syncing {ws}, so a "
                "network attacker can intercept the traffic with any certificate.",
                "app/clients/{e}_client.py",
                "CWE-295",
            ),
            Tpl(
                "Open redirect via next parameter after login",
                "The login view redirects to request.args['next'] without checking that it is "
                "a relative path, which enables phishing through {svc} links.",
                "app/routes/auth.py",
                "CWE-601",
                240,
            ),
        ),
        "typescript": (
            Tpl(
                "Prototype pollution in {w} settings merge",
                "{c}SettingsService deep-merges req.body into the stored settings with a "
                "custom recursive merge that does not skip __proto__ keys.",
                "src/services/{c}SettingsService.ts",
                "CWE-1321",
            ),
            Tpl(
                "ReDoS-prone regular expression validating {w} slugs",
                "{c}Validator uses /^([a-z0-9]+-?)+$/ on user input; a long near-miss string "
                "blocks the event loop for seconds.",
                "src/validators/{c}Validator.ts",
                "CWE-1333",
                160,
            ),
            Tpl(
                "Command injection via child_process.exec in {w} job",
                "{c}Job builds an ImageMagick command line with the uploaded file name and "
                "runs it with child_process.exec; use execFile with an argument array.",
                "src/jobs/{c}Job.ts",
                "CWE-78",
            ),
            Tpl(
                "Stack traces returned in API error responses",
                "errorHandler sends err.stack in the JSON body when NODE_ENV is unset, which "
                "is the case in the {svc} container image.",
                "src/middleware/errorHandler.ts",
                "CWE-209",
                80,
            ),
        ),
        "go": (
            Tpl(
                "InsecureSkipVerify enabled in {w} client",
                "{file} builds its http.Transport with tls.Config{{InsecureSkipVerify: true}}, "
                "so any certificate is accepted for {w} API calls.",
                "internal/clients/{e}_client.go",
                "CWE-295",
            ),
            Tpl(
                "math/rand used for {w} tokens",
                "{file} generates {w} tokens with math/rand seeded from time.Now, so tokens "
                "are predictable; use crypto/rand.",
                "internal/{e}/token.go",
                "CWE-338",
                120,
            ),
            Tpl(
                "HTTP server without read timeouts",
                "cmd/server/main.go starts http.ListenAndServe without ReadHeaderTimeout, "
                "leaving {svc} open to Slowloris-style connection exhaustion.",
                "cmd/server/main.go",
                "CWE-400",
                160,
            ),
            Tpl(
                "SSRF via user-controlled callback URL for {ws}",
                "The {w} webhook registration stores any callback URL and later calls it from "
                "inside the VPC, including internal and metadata addresses.",
                "internal/webhooks/{e}.go",
                "CWE-918",
            ),
        ),
    },
}
