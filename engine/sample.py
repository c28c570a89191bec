"""Synthetic scanner findings in the shape of `sample_data/findings.csv`, at any size.

`write_sample_csv(out, rows, seed)` writes a header and `rows` findings drawn from templates per
category and language (Java, Python, TypeScript, Go) and from tables of real vulnerable package
versions per ecosystem. Output is identical for identical arguments.

Every row is valid. About 2% of rows repeat an earlier row's location (same service, file,
line, category and, for dependency findings, package) under a new finding id, sometimes with a
different severity or scanner, so ingest has duplicates to merge. Apart from those, no two rows
share service, file, line and category. Dependency findings in lockfiles may have no line.
"""

from __future__ import annotations

import csv
import io
import random
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import NamedTuple, TextIO

from engine.models import FindingCategory, Severity

SAMPLE_COLUMNS: tuple[str, ...] = (
    "finding_id",
    "scanner",
    "category",
    "severity",
    "title",
    "description",
    "service_name",
    "repo_url",
    "file_path",
    "line_number",
    "cwe_id",
    "dependency_name",
    "current_version",
    "fixed_version",
    "language",
)

DUPLICATE_RATE = 0.02
_CHUNK_ROWS = 5_000
_DUP_POOL_SIZE = 4_096
_REDRAWS = 8  # random line draws before falling back to the next free line past the range

_CRIT, _HIGH, _MED, _LOW = (s.value for s in Severity)
_SEVERITY_ORDER: tuple[str, ...] = (_CRIT, _HIGH, _MED, _LOW)

_DEP = FindingCategory.dependency_vulnerability.value
_SQL = FindingCategory.sql_injection.value
_SECRET = FindingCategory.hardcoded_secret.value
_PII = FindingCategory.pii_logging.value
_ENC = FindingCategory.missing_encryption.value
_AUDIT = FindingCategory.access_logging.value
_XSS = FindingCategory.xss.value
_PATH = FindingCategory.path_traversal.value
_OTHER = FindingCategory.other.value

# Category mix (percent) and, per category, the severity mix (percent: critical, high, medium,
# low). Together they give roughly 10% critical, 25% high, 40% medium and 25% low overall.
_CATEGORY_PERCENT: dict[str, int] = {
    _DEP: 30,
    _SQL: 8,
    _SECRET: 7,
    _PII: 10,
    _ENC: 10,
    _AUDIT: 12,
    _XSS: 10,
    _PATH: 6,
    _OTHER: 7,
}
_SEVERITY_PERCENT: dict[str, tuple[int, int, int, int]] = {
    _DEP: (12, 25, 38, 25),
    _SQL: (30, 45, 20, 5),
    _SECRET: (25, 45, 25, 5),
    _PII: (3, 22, 50, 25),
    _ENC: (5, 25, 45, 25),
    _AUDIT: (0, 5, 45, 50),
    _XSS: (5, 30, 50, 15),
    _PATH: (15, 40, 35, 10),
    _OTHER: (2, 10, 40, 48),
}

_CODE_SCANNERS: tuple[str, ...] = ("semgrep", "codeql")
_SCANNERS: dict[str, tuple[str, ...]] = {
    _DEP: ("snyk", "trivy", "dependabot"),
    _SECRET: ("gitleaks", "gitleaks", "trivy", "semgrep"),
    _SQL: _CODE_SCANNERS,
    _PII: _CODE_SCANNERS,
    _ENC: ("semgrep", "codeql", "trivy"),
    _AUDIT: _CODE_SCANNERS,
    _XSS: _CODE_SCANNERS,
    _PATH: _CODE_SCANNERS,
    _OTHER: _CODE_SCANNERS,
}


class _Service(NamedTuple):
    name: str
    language: str
    package: str  # Java package segment under com.acme
    entities: tuple[str, ...]  # PascalCase domain nouns used in file and method names

    @property
    def repo_url(self) -> str:
        return f"https://github.com/acme-corp/{self.name}"


SERVICES: tuple[_Service, ...] = (
    _Service(
        "payment-service",
        "java",
        "payments",
        ("Transaction", "Refund", "Payout", "Merchant", "Chargeback"),
    ),
    _Service("user-service", "python", "users", ("User", "Profile", "Address", "Session", "Role")),
    _Service(
        "catalog-service",
        "typescript",
        "catalog",
        ("Product", "Category", "Price", "Review", "Listing"),
    ),
    _Service(
        "inventory-service",
        "go",
        "inventory",
        ("StockLevel", "Warehouse", "Reservation", "Sku", "Transfer"),
    ),
    _Service(
        "notification-service",
        "python",
        "notifications",
        ("Notification", "Template", "Subscription", "DeliveryAttempt", "Device"),
    ),
    _Service("auth-gateway", "java", "gateway", ("Token", "Client", "Credential", "Session", "Consent")),
    _Service(
        "search-service",
        "typescript",
        "search",
        ("Query", "Index", "Suggestion", "Document", "Synonym"),
    ),
    _Service(
        "billing-service",
        "java",
        "billing",
        ("Invoice", "Subscription", "Plan", "Credit", "TaxRate"),
    ),
    _Service("order-service", "go", "orders", ("Order", "LineItem", "Cart", "Fulfillment", "Return")),
    _Service(
        "shipping-service",
        "typescript",
        "shipping",
        ("Shipment", "Carrier", "Label", "TrackingEvent", "Parcel"),
    ),
    _Service(
        "reporting-service",
        "python",
        "reporting",
        ("Report", "Export", "Dashboard", "Metric", "Schedule"),
    ),
    _Service(
        "ledger-service",
        "java",
        "ledger",
        ("JournalEntry", "Account", "Balance", "Settlement", "Adjustment"),
    ),
    _Service("fraud-service", "python", "fraud", ("Score", "Rule", "Alert", "Case", "Signal")),
    _Service("media-service", "go", "media", ("Asset", "Thumbnail", "Upload", "Variant", "Album")),
)


class _Tpl(NamedTuple):
    title: str
    description: str
    path: str
    cwe: str
    max_line: int = 520


_J = "src/main/java/com/acme/{pkg}/"

# Code templates: category -> language -> templates. Placeholders: E (PascalCase entity),
# e / es (snake_case, singular / plural), c (camelCase), k (kebab plural), w / ws (words,
# singular / plural), pkg, svc, file (basename of the formatted path) and the category's fills.
_TEMPLATES: dict[str, dict[str, tuple[_Tpl, ...]]] = {
    _SQL: {
        "java": (
            _Tpl(
                "SQL injection in {E}RepositoryImpl.findBy{P}",
                "{E}RepositoryImpl.findBy{P} concatenates the '{p}' request parameter into a "
                "native query passed to EntityManager.createNativeQuery. A caller can rewrite "
                "the WHERE clause to read or modify other {ws}; bind it as a named parameter.",
                _J + "repository/{E}RepositoryImpl.java",
                "CWE-89",
            ),
            _Tpl(
                "SQL injection through JdbcTemplate query in {E}Dao",
                "{E}Dao.search builds its SQL with String.format and the user-supplied '{p}' "
                "filter, then runs it with jdbcTemplate.queryForList. Input containing a quote "
                "can append a UNION SELECT and exfiltrate data from the {svc} database; use a "
                "PreparedStatement with ? placeholders.",
                _J + "dao/{E}Dao.java",
                "CWE-89",
            ),
            _Tpl(
                "HQL injection in {E}Service report query",
                "{E}Service.report appends '{p}' to an HQL string given to session.createQuery. "
                "Hibernate passes the injected fragment through to SQL, so a user can bypass "
                "the tenant filter on {ws}; use setParameter instead of concatenation.",
                _J + "service/{E}Service.java",
                "CWE-564",
            ),
        ),
        "python": (
            _Tpl(
                "SQL injection in {E}Repository query built with an f-string",
                "{E}Repository.search passes an f-string containing the '{ps}' argument to "
                "SQLAlchemy text(), and the value comes straight from the query string. An "
                "attacker can break out of the literal and read any {w} row; bind :{ps} as a "
                "parameter instead.",
                "app/repositories/{e}_repository.py",
                "CWE-89",
            ),
            _Tpl(
                "Raw SQL with string formatting in {es} listing view",
                "list_{es} in {file} formats request.args['{ps}'] into a raw statement "
                "executed with db.session.execute. A value such as ' OR 1=1 -- returns every "
                "{w} across tenants; use the ORM filter or bound parameters.",
                "app/routes/{es}.py",
                "CWE-89",
            ),
            _Tpl(
                "SQL injection in cursor.execute call in {w} export",
                "The {w} export calls cursor.execute with a query built by '%' formatting of "
                "'{ps}' instead of passing parameters separately, so the value is spliced in "
                "before the driver can escape it. Anyone who can schedule an export can run "
                "arbitrary SQL as the service account.",
                "app/services/{e}_export.py",
                "CWE-89",
            ),
        ),
        "typescript": (
            _Tpl(
                "SQL injection in {c}Repository via knex.raw",
                "{E}Repository.list passes req.query.{p} into knex.raw inside a template "
                "literal. The surrounding query is parameterised, but this fragment allows "
                "boolean-based blind extraction of other tables; map it to an allow-list or "
                "use knex bindings.",
                "src/repositories/{c}Repository.ts",
                "CWE-89",
            ),
            _Tpl(
                "Unparameterised TypeORM query in {c}Service",
                "{E}Service.find{Es} calls manager.query with a string built from the '{p}' "
                "parameter. Because the request is authenticated only by an API key shared "
                "across partners, any partner can read or delete {ws}; pass values in the "
                "parameters array.",
                "src/services/{c}Service.ts",
                "CWE-89",
            ),
            _Tpl(
                "SQL injection in sequelize.query in {c}Controller",
                "{c}Controller.search interpolates req.body.{p} into sequelize.query without "
                "replacements. A crafted body can stack statements against the {svc} "
                "database; use the replacements option or model finders.",
                "src/controllers/{c}Controller.ts",
                "CWE-89",
            ),
        ),
        "go": (
            _Tpl(
                "SQL injection in {E}Store query built with fmt.Sprintf",
                "{E}Store.List builds its query with fmt.Sprintf and the '{p}' URL parameter "
                "before calling db.QueryContext. A crafted value can read or change any {w} "
                "row; use $1-style placeholders.",
                "internal/store/{e}_store.go",
                "CWE-89",
            ),
            _Tpl(
                "String-concatenated SQL in {w} handler",
                'The {w} handler concatenates r.URL.Query().Get("{p}") into a SELECT passed '
                "to sqlx.Select. The endpoint is reachable from the public API gateway, so "
                "unauthenticated callers can dump the table; bind the value as an argument.",
                "internal/handlers/{e}.go",
                "CWE-89",
            ),
        ),
    },
    _SECRET: {
        "java": (
            _Tpl(
                "{Kind} hard-coded in {file}",
                "{E}ClientConfig assigns {a_kind} (starting {tok}) to a static final String "
                "used to build the {w} client. Anyone with access to the repository, its forks or CI "
                "logs can {impact}; revoke it and load it from {var} via the secret manager.",
                _J + "config/{E}ClientConfig.java",
                "CWE-798",
                120,
            ),
            _Tpl(
                "{Kind} committed in Spring profile",
                "{file} sets {a_kind} (starting {tok}) in plain text for the prod profile. "
                "The file is packaged into the {svc} jar, so the value also ships in every image; move "
                "it to {var} and rotate it.",
                "src/main/resources/application-prod.yml",
                "CWE-798",
                160,
            ),
        ),
        "python": (
            _Tpl(
                "{Kind} hard-coded in {file}",
                "{file} defines {a_kind} (starting {tok}) as a module-level constant used by "
                "the {w} client. With it anyone who can read the repository can {impact}; read it from "
                "the {var} environment variable and rotate the exposed value.",
                "app/clients/{e}_client.py",
                "CWE-798",
                120,
            ),
            _Tpl(
                "{Kind} left in {w} backfill script",
                "scripts/backfill_{es}.py embeds {a_kind} (starting {tok}) that was used for "
                "a one-off migration and never removed. The script is in the default branch, so the "
                "credential is still live; revoke it and pass it through {var}.",
                "scripts/backfill_{es}.py",
                "CWE-798",
                90,
            ),
            _Tpl(
                "{Kind} in production config class",
                "ProductionConfig in app/config.py sets {a_kind} (starting {tok}) as a literal. "
                "Anyone with read access to the repository can {impact}; load it from {var}.",
                "app/config.py",
                "CWE-798",
                140,
            ),
        ),
        "typescript": (
            _Tpl(
                "{Kind} hard-coded in {file}",
                "{c}Client.ts passes {a_kind} (starting {tok}) as a literal to the SDK "
                "constructor. The string ends up in the compiled bundle and the repository "
                "history, so anyone with either can {impact}; read it from process.env.{var}.",
                "src/clients/{c}Client.ts",
                "CWE-798",
                120,
            ),
            _Tpl(
                "{Kind} committed in .env.production",
                ".env.production is tracked in git and contains {a_kind} (starting {tok}). Every "
                "developer and CI job that clones {svc} receives the production value; remove "
                "the file from the repository and rotate {var}.",
                ".env.production",
                "CWE-798",
                60,
            ),
        ),
        "go": (
            _Tpl(
                "{Kind} hard-coded in {file}",
                "{file} declares {a_kind} (starting {tok}) as a package-level const used by "
                "the {w} client. It is compiled into the binary and visible with strings(1), so anyone "
                "with the image can {impact}; read it from {var}.",
                "internal/clients/{e}_client.go",
                "CWE-798",
                120,
            ),
            _Tpl(
                "{Kind} in Helm production values",
                "deploy/helm/values-prod.yaml sets {a_kind} (starting {tok}) as a plain env value "
                "instead of referencing a Kubernetes Secret. The chart repository is readable "
                "by the whole engineering org; move it to a sealed secret named {var}.",
                "deploy/helm/values-prod.yaml",
                "CWE-798",
                200,
            ),
        ),
    },
    _PII: {
        "java": (
            _Tpl(
                "{Data} logged in {E}Service.process",
                "{E}Service.process logs the full {E} object at INFO via SLF4J, and its "
                "toString() includes the customer's {data}. Logs ship to the shared ELK cluster "
                "with 90-day retention and broad read access; mask or drop the field.",
                _J + "service/{E}Service.java",
                "CWE-532",
            ),
            _Tpl(
                "{Data} included in exception message in {E}Controller",
                "{E}Controller builds an IllegalArgumentException message containing the "
                "request's {data}, and the global exception handler logs messages with stack "
                "traces. Failed requests therefore leak personal data into error logs and "
                "Sentry events.",
                _J + "controller/{E}Controller.java",
                "CWE-532",
            ),
        ),
        "python": (
            _Tpl(
                "{Data} written to logs in {w} service",
                "{file} calls logger.info with an f-string containing the customer's {data} "
                "while processing {ws}. The log stream is forwarded to a third-party log vendor, which is "
                "not covered by the data processing agreement; log the {w} id instead.",
                "app/services/{e}_service.py",
                "CWE-532",
            ),
            _Tpl(
                "Request body with {data} logged by middleware",
                "The before_request hook in app/middleware/logging.py dumps request.get_json() "
                "for /{k} routes, whose payloads include the {data}. Every create and update "
                "call copies personal data into the access log.",
                "app/middleware/logging.py",
                "CWE-532",
                200,
            ),
        ),
        "typescript": (
            _Tpl(
                "{Data} logged with console.log in {c}Controller",
                "{c}Controller.create calls console.log(req.body) while debugging a support "
                "ticket, and the body includes the {data}. Container stdout is collected into "
                "CloudWatch with no field redaction; remove the call or redact the field.",
                "src/controllers/{c}Controller.ts",
                "CWE-532",
            ),
            _Tpl(
                "Winston logger records full {w} payload including {data}",
                "{c}Service logs the whole {w} with logger.info({{ {c} }}), which serialises the "
                "{field} property ({data}). Configure a redaction format or log the id only.",
                "src/services/{c}Service.ts",
                "CWE-532",
            ),
        ),
        "go": (
            _Tpl(
                "{Data} logged in {w} handler",
                'The {w} handler calls log.Printf("%+v") on the decoded {E} struct, which '
                "prints the {data}. Pod logs are retained for 30 days and readable by all "
                "on-call engineers; log the {w} id instead.",
                "internal/handlers/{e}.go",
                "CWE-532",
            ),
            _Tpl(
                "{Data} emitted through zap.Any in {E}Service",
                '{file} logs zap.Any("{e}", {c}) on every update, so the {data} lands in the '
                "structured logs and the tracing backend; add a MarshalLogObject that omits it.",
                "internal/service/{e}_service.go",
                "CWE-532",
            ),
        ),
    },
    _ENC: {
        "java": (
            _Tpl(
                "{Data} stored unencrypted in {E} entity",
                "The {E} JPA entity maps {field} ({data}) to a plain @Column with no "
                "AttributeConverter for encryption. A database dump or backup leak exposes it "
                "in clear text; encrypt the column with the KMS-backed converter.",
                _J + "model/{E}.java",
                "CWE-312",
                160,
            ),
            _Tpl(
                "{W} partner client uses plain HTTP",
                "{E}PartnerClient configures its RestTemplate with an http:// base URL, so the "
                "{data} travels unencrypted across the shared network. Switch to HTTPS with "
                "certificate validation.",
                _J + "client/{E}PartnerClient.java",
                "CWE-319",
            ),
        ),
        "python": (
            _Tpl(
                "{Data} stored in plaintext column on {E} model",
                "The {E} SQLAlchemy model declares {fs} ({data}) as a plain Column(String) with "
                "no field-level encryption, and nightly exports copy the table to the analytics "
                "bucket. Use the EncryptedType column backed by KMS.",
                "app/models/{e}.py",
                "CWE-312",
                160,
            ),
            _Tpl(
                "{W} exports uploaded to S3 without server-side encryption",
                "{file} calls s3.put_object for {w} exports without ServerSideEncryption or a "
                "KMS key, and the files contain the {data}. Set ServerSideEncryption='aws:kms' "
                "and enforce it with a bucket policy.",
                "app/services/{e}_export.py",
                "CWE-311",
            ),
        ),
        "typescript": (
            _Tpl(
                "{W} webhook delivered over plain HTTP",
                "{c}WebhookService posts {w} events, including the customer's {data}, to partner URLs "
                "without rejecting http:// schemes. Events can be read or altered in transit; "
                "require https URLs at registration.",
                "src/services/{c}WebhookService.ts",
                "CWE-319",
            ),
            _Tpl(
                "{Data} saved unencrypted in {E} entity",
                "The TypeORM {E} entity stores {field} ({data}) in a varchar @Column without a "
                "transformer. Read replicas and backups hold the value in clear text; add an "
                "encrypting column transformer.",
                "src/entities/{E}.ts",
                "CWE-312",
                140,
            ),
        ),
        "go": (
            _Tpl(
                "Database connection with sslmode=disable",
                "{file} builds the Postgres DSN with sslmode=disable, so queries and results, "
                "including customers' {data} values, cross the network unencrypted. Use "
                "sslmode=verify-full with the RDS CA bundle.",
                "internal/store/{e}_store.go",
                "CWE-319",
            ),
            _Tpl(
                "{Data} persisted without encryption in {E} record",
                "The {E} struct writes {field} ({data}) straight to the {es} table. Encrypt it "
                "with the envelope-encryption helper before insert.",
                "internal/{e}/model.go",
                "CWE-311",
                160,
            ),
        ),
    },
    _AUDIT: {
        "java": (
            _Tpl(
                "{W} {noun} is not audit-logged",
                "{E}Controller.{m}{E} {verb} a {w} without emitting an AuditEvent with the "
                "acting principal, the {w} id and the outcome. The action cannot be "
                "reconstructed during an incident or a customer dispute.",
                _J + "controller/{E}Controller.java",
                "CWE-778",
            ),
            _Tpl(
                "Failed authorization on {w} endpoints is not logged",
                "{E}AccessPolicy returns 403 for {ws} the caller does not own without logging "
                "the principal or resource id. Enumeration attempts go unnoticed by the SIEM.",
                _J + "security/{E}AccessPolicy.java",
                "CWE-778",
            ),
        ),
        "python": (
            _Tpl(
                "{W} {noun} is not audited",
                "{m}_{e} in app/routes/{es}.py {verb} a {w} without writing an audit record of "
                "the acting user, the {w} id and the old and new values. Misuse by a "
                "compromised account would leave no trace.",
                "app/routes/{es}.py",
                "CWE-778",
            ),
            _Tpl(
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
            _Tpl(
                "{W} {noun} is not audit-logged",
                "The {m} handler in {c}Controller {verb} a {w} without calling auditLog.record "
                "with the user, {w} id and result. Admin actions on {ws} cannot be traced.",
                "src/controllers/{c}Controller.ts",
                "CWE-778",
            ),
            _Tpl(
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
            _Tpl(
                "{W} {noun} is not audit-logged",
                "The {m} handler for {ws} {verb} a {w} and returns 204 without publishing an "
                "audit event with the caller and {w} id. The change cannot be attributed "
                "later.",
                "internal/handlers/{e}.go",
                "CWE-778",
            ),
            _Tpl(
                "Authorization failures dropped silently in middleware",
                "authz.Middleware writes 403 for {w} requests outside the caller's tenant but "
                "does not log the subject or resource. Cross-tenant probing is invisible.",
                "internal/middleware/authz.go",
                "CWE-223",
                200,
            ),
        ),
    },
    _XSS: {
        "java": (
            _Tpl(
                "Stored XSS via th:utext in {w} page",
                "templates/{es}/detail.html renders {c}.{fld} with th:utext, which skips "
                "escaping, and the field is editable by external users. A stored script runs "
                "for every back-office user who opens the {w}; use th:text.",
                "src/main/resources/templates/{es}/detail.html",
                "CWE-79",
                200,
            ),
            _Tpl(
                "Reflected XSS in {E}Controller error response",
                '{E}Controller returns "Unknown {w}: " + {fld} as a text/html @ResponseBody '
                "without encoding. A crafted link executes script in the admin console origin; "
                "return JSON or HTML-encode the value.",
                _J + "controller/{E}Controller.java",
                "CWE-79",
            ),
        ),
        "python": (
            _Tpl(
                "Stored XSS through |safe filter in {w} template",
                "templates/{es}/show.html renders {{{{ {e}.{fld}|safe }}}}, disabling Jinja2 "
                "autoescaping for a user-controlled field. Script stored in the {fld} field runs in "
                "other users' sessions; drop |safe or sanitise with bleach.",
                "app/templates/{es}/show.html",
                "CWE-79",
                200,
            ),
            _Tpl(
                "Reflected XSS via render_template_string in {w} preview",
                "The {w} preview view passes request.args['{fld}'] into render_template_string "
                "inside the template source, so markup and script in the parameter are "
                "rendered as-is.",
                "app/routes/{es}.py",
                "CWE-79",
            ),
        ),
        "typescript": (
            _Tpl(
                "Reflected XSS in {w} search page",
                "The /{k} handler interpolates req.query.{fld} into an HTML template literal and "
                "returns it with res.send, without escaping. A link with a script payload runs "
                "in the victim's session; render through the escaped view engine.",
                "src/routes/{c}Routes.ts",
                "CWE-79",
            ),
            _Tpl(
                "Stored XSS through unescaped {fld} in {w} view",
                "src/views/{c}.ejs renders {c}.{fld} with <%- %>, which skips escaping, and the "
                "field is editable by sellers and partners. Use <%= %> or sanitise on save.",
                "src/views/{c}.ejs",
                "CWE-79",
                200,
            ),
        ),
        "go": (
            _Tpl(
                "text/template used to render {w} page",
                "{file} renders the {w} page with text/template instead of html/template, so "
                "the user-controlled {fld} field is written without contextual escaping.",
                "internal/web/{e}_page.go",
                "CWE-79",
            ),
            _Tpl(
                "Unescaped query parameter written with fmt.Fprintf",
                'The {w} handler writes fmt.Fprintf(w, "<p>No results for %s</p>", q) where q '
                "is the {fld} query parameter, with Content-Type text/html. Use "
                "html.EscapeString or a template.",
                "internal/handlers/{e}.go",
                "CWE-79",
            ),
        ),
    },
    _PATH: {
        "java": (
            _Tpl(
                "Path traversal in {w} attachment download",
                "{E}AttachmentController resolves Paths.get(storageRoot, {fp}) with the {fp} "
                "path variable and streams the file back without normalising it. A request "
                "for ../../etc/passwd reads arbitrary files; normalise and check the prefix.",
                _J + "controller/{E}AttachmentController.java",
                "CWE-22",
            ),
            _Tpl(
                "Zip Slip in {w} bulk import",
                "{E}ImportService extracts uploaded ZIP archives by writing each ZipEntry name "
                "under the temp directory without checking for ../ segments, so an archive can "
                "overwrite files outside it.",
                _J + "service/{E}ImportService.java",
                "CWE-22",
            ),
        ),
        "python": (
            _Tpl(
                "Path traversal in {w} file download",
                "download_{e} joins the '{fp}' URL segment onto UPLOAD_DIR with os.path.join "
                "and passes it to send_file. A value like ../../app/config.py reads arbitrary "
                "files; use safe_join.",
                "app/routes/{es}.py",
                "CWE-22",
            ),
            _Tpl(
                "tarfile.extractall on uploaded {w} archive",
                "{file} calls tarfile.extractall on user-uploaded archives without a filter, "
                "so member names with ../ or absolute paths write outside the work directory.",
                "app/services/{e}_import.py",
                "CWE-22",
            ),
        ),
        "typescript": (
            _Tpl(
                "Path traversal in {w} file endpoint",
                "{c}Controller.getFile calls res.sendFile(path.join(UPLOAD_DIR, req.params.{fp})) "
                "without checking the resolved path stays under UPLOAD_DIR, so ../ sequences "
                "read arbitrary files from the container.",
                "src/controllers/{c}Controller.ts",
                "CWE-22",
            ),
            _Tpl(
                "User-controlled path passed to fs.createReadStream in {c}Service",
                "{c}Service.export opens fs.createReadStream with a path built from the {fp} "
                "query parameter. Resolve it and verify the prefix before reading.",
                "src/services/{c}Service.ts",
                "CWE-22",
            ),
        ),
        "go": (
            _Tpl(
                "Path traversal in {w} file server",
                "The {w} handler serves http.ServeFile(w, r, filepath.Join(baseDir, {fp})) where "
                "{fp} comes from the query string; filepath.Join cleans but does not confine "
                "../ sequences. Use os.Root or check the prefix.",
                "internal/handlers/{e}.go",
                "CWE-22",
            ),
            _Tpl(
                "Zip Slip in {w} archive extraction",
                "{file} writes each zip.File to filepath.Join(dest, f.Name) without rejecting "
                "names that escape dest, so a crafted archive overwrites arbitrary files.",
                "internal/{e}/extract.go",
                "CWE-22",
            ),
        ),
    },
    _OTHER: {
        "java": (
            _Tpl(
                "XML external entities enabled in {E}ImportService",
                "{E}ImportService parses uploaded XML with a DocumentBuilderFactory that leaves "
                "DTDs and external entities enabled. A file can read local files or reach "
                "internal hosts; set disallow-doctype-decl.",
                _J + "service/{E}ImportService.java",
                "CWE-611",
            ),
            _Tpl(
                "{E} reference numbers generated with java.util.Random",
                "{E}ReferenceGenerator uses java.util.Random, so {w} references are "
                "predictable and can be enumerated by other customers; use SecureRandom.",
                _J + "util/{E}ReferenceGenerator.java",
                "CWE-338",
                120,
            ),
            _Tpl(
                "MD5 used to sign {w} callbacks",
                "{E}SignatureVerifier computes callback signatures with MessageDigest MD5 over "
                "the body and a shared secret, which is open to collision and length-extension "
                "attacks; use HMAC-SHA256.",
                _J + "security/{E}SignatureVerifier.java",
                "CWE-327",
                160,
            ),
            _Tpl(
                "Server-side request forgery in {w} webhook test endpoint",
                "{E}WebhookController.test fetches any URL supplied by the caller with "
                "RestTemplate, including http://169.254.169.254/ metadata addresses.",
                _J + "controller/{E}WebhookController.java",
                "CWE-918",
            ),
        ),
        "python": (
            _Tpl(
                "Shell command built from {w} export name",
                '{file} runs subprocess.run(f"zip ... {{name}}", shell=True) with the '
                "user-chosen export name, so shell metacharacters execute commands on the "
                "worker.",
                "app/services/{e}_export.py",
                "CWE-78",
            ),
            _Tpl(
                "pickle.loads on cached {ws} from Redis",
                "{file} deserialises cached {ws} with pickle.loads. Anyone who can write to "
                "the shared Redis instance can execute code in the service; use JSON.",
                "app/cache/{e}_cache.py",
                "CWE-502",
                160,
            ),
            _Tpl(
                "TLS certificate verification disabled for {w} API calls",
                "{file} calls requests.post(..., verify=False) when syncing {ws}, so a "
                "network attacker can intercept the traffic with any certificate.",
                "app/clients/{e}_client.py",
                "CWE-295",
            ),
            _Tpl(
                "Open redirect via next parameter after login",
                "The login view redirects to request.args['next'] without checking that it is "
                "a relative path, which enables phishing through {svc} links.",
                "app/routes/auth.py",
                "CWE-601",
                240,
            ),
        ),
        "typescript": (
            _Tpl(
                "Prototype pollution in {w} settings merge",
                "{c}SettingsService deep-merges req.body into the stored settings with a "
                "custom recursive merge that does not skip __proto__ keys.",
                "src/services/{c}SettingsService.ts",
                "CWE-1321",
            ),
            _Tpl(
                "ReDoS-prone regular expression validating {w} slugs",
                "{c}Validator uses /^([a-z0-9]+-?)+$/ on user input; a long near-miss string "
                "blocks the event loop for seconds.",
                "src/validators/{c}Validator.ts",
                "CWE-1333",
                160,
            ),
            _Tpl(
                "Command injection via child_process.exec in {w} job",
                "{c}Job builds an ImageMagick command line with the uploaded file name and "
                "runs it with child_process.exec; use execFile with an argument array.",
                "src/jobs/{c}Job.ts",
                "CWE-78",
            ),
            _Tpl(
                "Stack traces returned in API error responses",
                "errorHandler sends err.stack in the JSON body when NODE_ENV is unset, which "
                "is the case in the {svc} container image.",
                "src/middleware/errorHandler.ts",
                "CWE-209",
                80,
            ),
        ),
        "go": (
            _Tpl(
                "InsecureSkipVerify enabled in {w} client",
                "{file} builds its http.Transport with tls.Config{{InsecureSkipVerify: true}}, "
                "so any certificate is accepted for {w} API calls.",
                "internal/clients/{e}_client.go",
                "CWE-295",
            ),
            _Tpl(
                "math/rand used for {w} tokens",
                "{file} generates {w} tokens with math/rand seeded from time.Now, so tokens "
                "are predictable; use crypto/rand.",
                "internal/{e}/token.go",
                "CWE-338",
                120,
            ),
            _Tpl(
                "HTTP server without read timeouts",
                "cmd/server/main.go starts http.ListenAndServe without ReadHeaderTimeout, "
                "leaving {svc} open to Slowloris-style connection exhaustion.",
                "cmd/server/main.go",
                "CWE-400",
                160,
            ),
            _Tpl(
                "SSRF via user-controlled callback URL for {ws}",
                "The {w} webhook registration stores any callback URL and later calls it from "
                "inside the VPC, including internal and metadata addresses.",
                "internal/webhooks/{e}.go",
                "CWE-918",
            ),
        ),
    },
}

# Fill values per category; each template variant takes one or two of them.
_FILLS: dict[str, tuple[dict[str, str], ...]] = {
    _SQL: tuple({"p": p} for p in ("status", "sortBy", "customerId", "name", "createdAfter", "region")),
    _SECRET: (
        {
            "kind": "AWS access key",
            "tok": "AKIA",
            "var": "AWS_SECRET_ACCESS_KEY",
            "impact": "read and write the service's S3 buckets and SQS queues",
        },
        {
            "kind": "Stripe live secret key",
            "tok": "sk_live_",
            "var": "STRIPE_API_KEY",
            "impact": "create charges, refunds and payouts on the production account",
        },
        {
            "kind": "GitHub personal access token",
            "tok": "ghp_",
            "var": "GITHUB_TOKEN",
            "impact": "push to every repository the token owner can access",
        },
        {
            "kind": "Slack webhook URL",
            "tok": "https://hooks.slack.com/services/T",
            "var": "SLACK_WEBHOOK_URL",
            "impact": "post messages into internal incident channels",
        },
        {
            "kind": "PostgreSQL password",
            "tok": "postgres://svc:",
            "var": "DATABASE_PASSWORD",
            "impact": "connect to the production database as the service account",
        },
        {
            "kind": "SendGrid API key",
            "tok": "SG.",
            "var": "SENDGRID_API_KEY",
            "impact": "send email from the company's verified domains",
        },
        {
            "kind": "JWT signing secret",
            "tok": "jwt-prod-",
            "var": "JWT_SIGNING_KEY",
            "impact": "mint valid access tokens for any user",
            "cwe": "CWE-321",
        },
    ),
    _PII: tuple(
        {"data": d, "field": f}
        for d, f in (
            ("email address", "email"),
            ("phone number", "phoneNumber"),
            ("date of birth", "dateOfBirth"),
            ("home address", "homeAddress"),
            ("national ID number", "nationalId"),
            ("full card number", "cardNumber"),
            ("IBAN", "iban"),
        )
    ),
    _AUDIT: (
        {"m": "delete", "noun": "deletion", "verb": "deletes"},
        {"m": "export", "noun": "bulk export", "verb": "exports"},
        {"m": "transfer", "noun": "ownership transfer", "verb": "reassigns"},
        {"m": "override", "noun": "manual status override", "verb": "force-updates"},
        {"m": "restore", "noun": "restore", "verb": "restores"},
    ),
    _XSS: tuple({"fld": f} for f in ("name", "description", "comment", "notes", "title")),
    _PATH: tuple({"fp": f} for f in ("filename", "path", "file", "name", "key")),
    _OTHER: ({},),
}
_FILLS[_ENC] = _FILLS[_PII]


class _Dep(NamedTuple):
    name: str
    current: str
    fixed: str
    cve: str
    cwe: str
    severity: str
    short: str
    summary: str


# Real vulnerable -> fixed versions per ecosystem, with the CVE's CWE.
_DEPENDENCIES: dict[str, tuple[_Dep, ...]] = {
    "java": (
        _Dep(
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
            "2.17.1",
            "CVE-2021-44228",
            "CWE-917",
            _CRIT,
            "Remote code execution via JNDI lookup (Log4Shell)",
            "which resolves ${jndi:...} lookups in logged messages, so anyone who controls a "
            "logged string can load and run remote code.",
        ),
        _Dep(
            "org.springframework:spring-beans",
            "5.3.17",
            "5.3.18",
            "CVE-2022-22965",
            "CWE-94",
            _CRIT,
            "Remote code execution via data binding (Spring4Shell)",
            "where data binding on JDK 9+ exposes the class loader and a crafted request can "
            "write a web shell on Tomcat.",
        ),
        _Dep(
            "org.apache.commons:commons-text",
            "1.9",
            "1.10.0",
            "CVE-2022-42889",
            "CWE-94",
            _CRIT,
            "Remote code execution via variable interpolation (Text4Shell)",
            "whose StringSubstitutor default lookups include script, dns and url, so "
            "interpolating untrusted input can execute code.",
        ),
        _Dep(
            "org.postgresql:postgresql",
            "42.2.18",
            "42.2.28",
            "CVE-2024-1597",
            "CWE-89",
            _CRIT,
            "SQL injection with preferQueryMode=simple",
            "which mis-handles a negative numeric placeholder followed by a string "
            "placeholder in simple query mode and allows SQL injection.",
        ),
        _Dep(
            "com.fasterxml.jackson.core:jackson-databind",
            "2.9.8",
            "2.12.7.1",
            "CVE-2019-12384",
            "CWE-502",
            _HIGH,
            "Unsafe polymorphic deserialization",
            "which with default typing enabled instantiates gadget classes named in JSON "
            "input and can lead to remote code execution.",
        ),
        _Dep(
            "org.yaml:snakeyaml",
            "1.33",
            "2.0",
            "CVE-2022-1471",
            "CWE-502",
            _HIGH,
            "Arbitrary object construction in Constructor",
            "whose default Constructor instantiates any class named in a YAML tag, so loading "
            "untrusted YAML can execute code.",
        ),
        _Dep(
            "commons-fileupload:commons-fileupload",
            "1.4",
            "1.5",
            "CVE-2023-24998",
            "CWE-770",
            _HIGH,
            "Denial of service via unlimited multipart parts",
            "which does not limit the number of request parts, so one multipart request can "
            "exhaust memory and file handles.",
        ),
        _Dep(
            "ch.qos.logback:logback-classic",
            "1.2.3",
            "1.2.13",
            "CVE-2023-6378",
            "CWE-502",
            _HIGH,
            "Denial of service via serialized logging events",
            "whose receiver component deserializes logging events from the network, letting "
            "an attacker exhaust resources.",
        ),
        _Dep(
            "io.netty:netty-codec-http",
            "4.1.59.Final",
            "4.1.71.Final",
            "CVE-2021-43797",
            "CWE-444",
            _MED,
            "HTTP request smuggling via control characters in header names",
            "which accepts control characters in header names, so a proxy and the service can "
            "disagree on request boundaries.",
        ),
        _Dep(
            "org.springframework:spring-expression",
            "5.3.16",
            "5.3.17",
            "CVE-2022-22950",
            "CWE-770",
            _MED,
            "Denial of service via crafted SpEL expression",
            "where a user-supplied SpEL expression can allocate unbounded memory.",
        ),
        _Dep(
            "com.google.guava:guava",
            "29.0-jre",
            "32.0.0-jre",
            "CVE-2020-8908",
            "CWE-732",
            _LOW,
            "Temporary directory created with insecure permissions",
            "whose Files.createTempDir creates directories readable by other local users.",
        ),
        _Dep(
            "commons-io:commons-io",
            "2.6",
            "2.7",
            "CVE-2021-29425",
            "CWE-22",
            _LOW,
            "Limited path traversal in FilenameUtils.normalize",
            "where FilenameUtils.normalize returns parent-directory paths for inputs such as //../foo.",
        ),
    ),
    "python": (
        _Dep(
            "PyYAML",
            "5.3.1",
            "5.4",
            "CVE-2020-14343",
            "CWE-20",
            _CRIT,
            "Arbitrary code execution in full_load",
            "whose FullLoader can still construct arbitrary Python objects through python/object/new tags.",
        ),
        _Dep(
            "Pillow",
            "8.4.0",
            "9.0.1",
            "CVE-2022-22817",
            "CWE-74",
            _CRIT,
            "Arbitrary expression evaluation in ImageMath.eval",
            "where ImageMath.eval evaluates arbitrary Python expressions passed to it.",
        ),
        _Dep(
            "cryptography",
            "3.3.1",
            "3.3.2",
            "CVE-2020-36242",
            "CWE-190",
            _CRIT,
            "Integer overflow in symmetric encryption of large buffers",
            "where encrypting multi-gigabyte buffers overflows an integer and corrupts heap memory.",
        ),
        _Dep(
            "urllib3",
            "1.26.4",
            "1.26.5",
            "CVE-2021-33503",
            "CWE-400",
            _HIGH,
            "ReDoS in URL authority parsing",
            "whose authority regex backtracks catastrophically on URLs with many @ characters.",
        ),
        _Dep(
            "Werkzeug",
            "2.2.2",
            "2.2.3",
            "CVE-2023-25577",
            "CWE-770",
            _HIGH,
            "Denial of service via unlimited multipart form parts",
            "which parses an unlimited number of multipart parts and can be driven to "
            "exhaust CPU and memory.",
        ),
        _Dep(
            "Flask",
            "2.2.4",
            "2.2.5",
            "CVE-2023-30861",
            "CWE-539",
            _HIGH,
            "Session cookie cached by proxies",
            "which omits Vary: Cookie on some responses, so a caching proxy can serve one "
            "user's session cookie to another.",
        ),
        _Dep(
            "requests",
            "2.25.1",
            "2.31.0",
            "CVE-2023-32681",
            "CWE-200",
            _MED,
            "Proxy-Authorization header leaked on redirect",
            "which forwards the Proxy-Authorization header to the destination server when "
            "following HTTPS redirects.",
        ),
        _Dep(
            "Jinja2",
            "2.11.2",
            "2.11.3",
            "CVE-2020-28493",
            "CWE-400",
            _MED,
            "ReDoS in urlize filter",
            "whose urlize filter uses a regex with catastrophic backtracking.",
        ),
        _Dep(
            "certifi",
            "2022.9.24",
            "2022.12.7",
            "CVE-2022-23491",
            "CWE-345",
            _MED,
            "TrustCor root certificates still trusted",
            "which still trusts TrustCor root certificates that Mozilla removed.",
        ),
        _Dep(
            "Jinja2",
            "3.1.2",
            "3.1.3",
            "CVE-2024-22195",
            "CWE-79",
            _MED,
            "XSS via xmlattr filter keys",
            "whose xmlattr filter accepts keys containing spaces, allowing attribute injection.",
        ),
        _Dep(
            "urllib3",
            "1.26.17",
            "1.26.18",
            "CVE-2023-45803",
            "CWE-200",
            _LOW,
            "Request body not stripped on 303 redirect",
            "which resends the request body after a 303 See Other redirect.",
        ),
        _Dep(
            "idna",
            "3.6",
            "3.7",
            "CVE-2024-3651",
            "CWE-400",
            _LOW,
            "Resource exhaustion in idna.encode",
            "where specially crafted long inputs make idna.encode run in quadratic time.",
        ),
    ),
    "typescript": (
        _Dep(
            "minimist",
            "1.2.5",
            "1.2.6",
            "CVE-2021-44906",
            "CWE-1321",
            _CRIT,
            "Prototype pollution in argument parsing",
            "whose setKey allows __proto__ and constructor keys to modify Object.prototype.",
        ),
        _Dep(
            "handlebars",
            "4.7.6",
            "4.7.7",
            "CVE-2021-23369",
            "CWE-94",
            _CRIT,
            "Remote code execution when compiling untrusted templates",
            "where compiling templates from untrusted sources can execute code in strict mode.",
        ),
        _Dep(
            "lodash",
            "4.17.15",
            "4.17.21",
            "CVE-2021-23337",
            "CWE-94",
            _HIGH,
            "Command injection via template",
            "whose _.template compiles the variable option into a Function body without validation.",
        ),
        _Dep(
            "node-fetch",
            "2.6.1",
            "2.6.7",
            "CVE-2022-0235",
            "CWE-601",
            _HIGH,
            "Authorization headers forwarded to third-party host on redirect",
            "which forwards cookie and authorization headers when a redirect leaves the original host.",
        ),
        _Dep(
            "qs",
            "6.5.2",
            "6.5.3",
            "CVE-2022-24999",
            "CWE-1321",
            _HIGH,
            "Prototype pollution in query string parsing",
            "where a crafted __proto__ query string can crash the Node.js process.",
        ),
        _Dep(
            "body-parser",
            "1.20.2",
            "1.20.3",
            "CVE-2024-45590",
            "CWE-405",
            _HIGH,
            "Denial of service when URL encoding is enabled",
            "where a crafted urlencoded body causes excessive processing.",
        ),
        _Dep(
            "semver",
            "5.7.1",
            "5.7.2",
            "CVE-2022-25883",
            "CWE-1333",
            _MED,
            "ReDoS in range parsing",
            "whose new Range() regex backtracks catastrophically on untrusted input.",
        ),
        _Dep(
            "jsonwebtoken",
            "8.5.1",
            "9.0.0",
            "CVE-2022-23540",
            "CWE-287",
            _MED,
            "Insecure default algorithm in jwt.verify",
            "where jwt.verify without an explicit algorithms list can accept unsigned tokens.",
        ),
        _Dep(
            "express",
            "4.17.1",
            "4.19.2",
            "CVE-2024-29041",
            "CWE-601",
            _MED,
            "Open redirect in res.location and res.redirect",
            "which encodes malformed URLs before allow-list checks, enabling open redirects.",
        ),
        _Dep(
            "axios",
            "0.21.0",
            "0.21.1",
            "CVE-2020-28168",
            "CWE-918",
            _MED,
            "Server-side request forgery via redirect",
            "which follows redirects to addresses that bypass the configured proxy.",
        ),
        _Dep(
            "express",
            "4.19.2",
            "4.20.0",
            "CVE-2024-43796",
            "CWE-79",
            _LOW,
            "XSS in res.redirect",
            "where untrusted input passed to res.redirect can execute script.",
        ),
        _Dep(
            "cookie",
            "0.4.1",
            "0.7.0",
            "CVE-2024-47764",
            "CWE-74",
            _LOW,
            "Cookie name, path and domain accept out-of-bounds characters",
            "which lets untrusted input alter other cookie fields.",
        ),
        _Dep(
            "send",
            "0.18.0",
            "0.19.0",
            "CVE-2024-43799",
            "CWE-79",
            _LOW,
            "Template injection in SendStream.redirect",
            "where untrusted input passed to SendStream.redirect can execute script.",
        ),
    ),
    "go": (
        _Dep(
            "github.com/jackc/pgproto3/v2",
            "v2.3.2",
            "v2.3.3",
            "CVE-2024-27304",
            "CWE-190",
            _CRIT,
            "SQL injection via protocol message size overflow",
            "where a message larger than 4 GB overflows the size field and lets an attacker "
            "inject protocol messages.",
        ),
        _Dep(
            "github.com/jackc/pgx/v4",
            "v4.18.1",
            "v4.18.2",
            "CVE-2024-27289",
            "CWE-89",
            _HIGH,
            "SQL injection in simple protocol placeholders",
            "where a minus sign before a numeric placeholder followed by a string "
            "placeholder allows SQL injection.",
        ),
        _Dep(
            "golang.org/x/net",
            "v0.7.0",
            "v0.17.0",
            "CVE-2023-39325",
            "CWE-770",
            _HIGH,
            "HTTP/2 rapid reset denial of service",
            "whose HTTP/2 server keeps handling streams that clients reset immediately.",
        ),
        _Dep(
            "google.golang.org/grpc",
            "v1.55.0",
            "v1.56.3",
            "CVE-2023-44487",
            "CWE-400",
            _HIGH,
            "HTTP/2 rapid reset denial of service",
            "which does not bound work done for streams the client cancels.",
        ),
        _Dep(
            "gopkg.in/yaml.v3",
            "v3.0.0-20210107192922-496545a6307b",
            "v3.0.1",
            "CVE-2022-28948",
            "CWE-502",
            _HIGH,
            "Panic on malformed YAML input",
            "where Unmarshal panics on crafted input, crashing the process.",
        ),
        _Dep(
            "golang.org/x/crypto",
            "v0.16.0",
            "v0.17.0",
            "CVE-2023-48795",
            "CWE-354",
            _MED,
            "SSH prefix truncation (Terrapin)",
            "whose SSH transport allows a man-in-the-middle to drop handshake messages.",
        ),
        _Dep(
            "github.com/gin-gonic/gin",
            "v1.7.7",
            "v1.9.0",
            "CVE-2023-26125",
            "CWE-20",
            _MED,
            "Improper validation of X-Forwarded-Prefix",
            "which uses the X-Forwarded-Prefix header unvalidated in redirects.",
        ),
        _Dep(
            "golang.org/x/net",
            "v0.22.0",
            "v0.23.0",
            "CVE-2023-45288",
            "CWE-400",
            _MED,
            "HTTP/2 CONTINUATION flood",
            "which keeps reading CONTINUATION frames without a limit.",
        ),
        _Dep(
            "github.com/gin-gonic/gin",
            "v1.9.0",
            "v1.9.1",
            "CVE-2023-29401",
            "CWE-494",
            _LOW,
            "Unescaped filename in Context.FileAttachment",
            "which does not escape the filename in the Content-Disposition header.",
        ),
        _Dep(
            "github.com/golang-jwt/jwt/v4",
            "v4.5.0",
            "v4.5.1",
            "CVE-2024-51744",
            "CWE-755",
            _LOW,
            "Ambiguous error handling in ParseWithClaims",
            "where ParseWithClaims can return both a validation error and an expiry error.",
        ),
    ),
}

# Manifest paths per language; the True ones are lockfiles, reported without a line number.
_MANIFESTS: dict[str, tuple[tuple[str, bool], ...]] = {
    "java": tuple(
        (f"{m}pom.xml", False)
        for m in ("", "api/", "core/", "web/", "worker/", "client/", "common/", "batch/")
    ),
    "python": (
        ("requirements.txt", False),
        ("requirements/base.txt", False),
        ("requirements/prod.txt", False),
        ("requirements/worker.txt", False),
        ("constraints.txt", False),
        ("poetry.lock", True),
    ),
    "typescript": (
        ("package.json", False),
        ("packages/api/package.json", False),
        ("packages/worker/package.json", False),
        ("packages/shared/package.json", False),
        ("package-lock.json", True),
        ("yarn.lock", True),
    ),
    "go": (
        ("go.mod", False),
        ("tools/go.mod", False),
        ("cmd/migrate/go.mod", False),
        ("go.sum", True),
    ),
}
_MANIFEST_MAX_LINE = 420

_DEP_TITLES: tuple[str, ...] = ("{cve}: {short} in {pkg}", "{short} in {pkg} {current} ({cve})")
_DEP_DESCRIPTIONS: tuple[str, ...] = (
    "{path} resolves {name} {current}, {summary} {svc} loads this version at runtime. Upgrade "
    "to {fixed} or later.",
    "{name} {current} (declared in {path}) is affected by {cve}, {summary} Upgrade {svc} to "
    "{fixed}, the first release with the fix.",
)


def _words(pascal: str) -> list[str]:
    return re.findall(r"[A-Z][a-z0-9]*", pascal)


def _plural(word: str) -> str:
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


def _entity_keys(pascal: str) -> dict[str, str]:
    words = [w.lower() for w in _words(pascal)]
    plural = [*words[:-1], _plural(words[-1])]
    return {
        "E": pascal,
        "Es": "".join(w.capitalize() for w in plural),
        "W": " ".join(words).capitalize(),
        "e": "_".join(words),
        "es": "_".join(plural),
        "c": words[0] + "".join(w.capitalize() for w in words[1:]),
        "k": "-".join(plural),
        "w": " ".join(words),
        "ws": " ".join(plural),
    }


def _fill_keys(fill: Mapping[str, str]) -> dict[str, str]:
    keys = dict(fill)
    if "p" in keys:
        keys["P"] = keys["p"][0].upper() + keys["p"][1:]
        keys["ps"] = "_".join(w.lower() for w in _words(keys["P"]))
    if "data" in keys:
        keys["Data"] = keys["data"][0].upper() + keys["data"][1:]
        keys["fs"] = "_".join(w.lower() for w in _words(keys["field"][0].upper() + keys["field"][1:]))
    if "kind" in keys:
        keys["Kind"] = keys["kind"][0].upper() + keys["kind"][1:]
        article = "an" if keys["kind"][0] in "AEIOU" else "a"
        keys["a_kind"] = f"{article} {keys['kind']}"
    if "m" in keys:
        keys["M"] = keys["m"].capitalize()
    return keys


def _encode(fields: Sequence[str]) -> str:
    """Fields as one CSV record (no line end), quoted the way csv.writer quotes them."""
    buf = io.StringIO()
    csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="").writerow(fields)
    return buf.getvalue()


class _Variant(NamedTuple):
    """One finding shape for a service, with its fixed columns already CSV-encoded."""

    path: str
    max_line: int
    lockfile: bool  # a lockfile finding is first tried without a line number
    head: str  # title, description, service_name, repo_url, file_path
    tail: str  # cwe_id, dependency_name, current_version, fixed_version, language


def _variant(
    service: _Service,
    title: str,
    description: str,
    path: str,
    cwe: str,
    max_line: int,
    dependency: tuple[str, str, str] = ("", "", ""),
    lockfile: bool = False,
) -> _Variant:
    head = _encode((title, description, service.name, service.repo_url, path))
    tail = _encode((cwe, *dependency, service.language))
    return _Variant(path, max_line, lockfile, head, tail)


def _code_variants(service: _Service, category: str) -> list[_Variant]:
    templates = _TEMPLATES[category][service.language]
    fills = [_fill_keys(f) for f in _FILLS[category]]
    out: list[_Variant] = []
    seen: set[tuple[str, str, str]] = set()
    for ti, tpl in enumerate(templates):
        for ei, entity in enumerate(service.entities):
            for offset in (0, 3):
                fill = fills[(ti * 7 + ei + offset) % len(fills)]
                keys = {**_entity_keys(entity), **fill, "pkg": service.package, "svc": service.name}
                path = tpl.path.format_map(keys)
                keys["file"] = path.rsplit("/", 1)[-1]
                title = tpl.title.format_map(keys)
                description = tpl.description.format_map(keys)
                if (title, description, path) in seen:
                    continue
                seen.add((title, description, path))
                cwe = fill.get("cwe", tpl.cwe)
                out.append(_variant(service, title, description, path, cwe, tpl.max_line))
    return out


def _dependency_variants(service: _Service, severity: str) -> list[_Variant]:
    deps = [d for d in _DEPENDENCIES[service.language] if d.severity == severity]
    if not deps:  # keep the severity mix even where an ecosystem lacks a level
        deps = list(_DEPENDENCIES[service.language])
    out: list[_Variant] = []
    for di, dep in enumerate(deps):
        for mi, (path, lockfile) in enumerate(_MANIFESTS[service.language]):
            keys = {
                **dep._asdict(),
                "path": path,
                "svc": service.name,
                "pkg": dep.name.rsplit(":", 1)[-1],
            }
            title = _DEP_TITLES[(di + mi) % len(_DEP_TITLES)].format_map(keys)
            description = _DEP_DESCRIPTIONS[(di + mi + 1) % len(_DEP_DESCRIPTIONS)].format_map(keys)
            out.append(
                _variant(
                    service,
                    title,
                    description,
                    path,
                    dep.cwe,
                    _MANIFEST_MAX_LINE,
                    (dep.name, dep.current, dep.fixed),
                    lockfile,
                )
            )
    return out


@lru_cache(maxsize=1)
def _variant_table() -> dict[tuple[int, str, str], list[_Variant]]:
    """Variants per (service index, category, severity); severity is "" except for deps."""
    table: dict[tuple[int, str, str], list[_Variant]] = {}
    for si, service in enumerate(SERVICES):
        for category in _CATEGORY_PERCENT:
            if category == _DEP:
                for severity in _SEVERITY_ORDER:
                    table[si, category, severity] = _dependency_variants(service, severity)
            else:
                table[si, category, ""] = _code_variants(service, category)
    return table


def _percent_table(weights: Mapping[str, int]) -> list[str]:
    table = [value for value, pct in weights.items() for _ in range(pct)]
    if len(table) != 100:
        raise AssertionError(f"weights must sum to 100, got {len(table)}")
    return table


_CATEGORY_TABLE: list[str] = _percent_table(_CATEGORY_PERCENT)
_SEVERITY_TABLES: dict[str, list[str]] = {
    cat: _percent_table(dict(zip(_SEVERITY_ORDER, pcts, strict=True)))
    for cat, pcts in _SEVERITY_PERCENT.items()
}
# Category and dependency-severity pairs: for code categories the variant key ignores severity.
_VARIANT_SEVERITY_KEY: dict[tuple[str, str], str] = {
    (cat, sev): (sev if cat == _DEP else "") for cat in _CATEGORY_PERCENT for sev in _SEVERITY_ORDER
}


def write_sample_csv(out: TextIO, rows: int, seed: int = 0) -> int:
    """Write a header and `rows` synthetic findings to `out`; returns the rows written.

    Deterministic: the same `rows` and `seed` always give the same text. Records are built
    from fields that were CSV-encoded once per variant, so writing stays fast at 100k+ rows.
    """
    if rows < 1:
        raise ValueError("rows must be at least 1")
    rng = random.Random(seed)
    rand = rng.random
    variants = _variant_table()
    n_services = len(SERVICES)
    cat_table = _CATEGORY_TABLE
    sev_tables = _SEVERITY_TABLES
    sev_key = _VARIANT_SEVERITY_KEY
    scanners = _SCANNERS
    order = _SEVERITY_ORDER
    used: set[tuple[int, str, int | str, str]] = set()
    next_free: dict[tuple[int, str, str], int] = {}
    # Recent original rows as (scanner, category, severity, head, line, tail).
    pool: list[tuple[str, str, str, str, int | str, str]] = []
    prefix = f"SAMPLE-{seed}-"
    out.write(_encode(SAMPLE_COLUMNS) + "\n")
    chunk: list[str] = []

    for i in range(1, rows + 1):
        if pool and rand() < DUPLICATE_RATE:
            scanner, category, severity, head, line, tail = pool[int(rand() * len(pool))]
            if rand() < 0.4:  # a second scanner, or a rescan, rates it differently
                level = order.index(severity)
                severity = order[level + 1 if level < 3 else level - 1]
            if rand() < 0.5:
                options_s = scanners[category]
                scanner = options_s[int(rand() * len(options_s))]
        else:
            si = int(rand() * n_services)
            category = cat_table[int(rand() * 100)]
            severity = sev_tables[category][int(rand() * 100)]
            options = variants[si, category, sev_key[category, severity]]
            v = options[int(rand() * len(options))]
            line = "" if v.lockfile else 3 + int(rand() * (v.max_line - 2))
            key = (si, v.path, line, category)
            tries = 0
            while key in used:
                tries += 1
                if tries <= _REDRAWS:
                    line = 3 + int(rand() * (v.max_line - 2))
                else:  # the range is crowded: take the next free line past it
                    free_key = (si, v.path, category)
                    line = next_free.get(free_key, v.max_line + 1)
                    next_free[free_key] = line + 1
                key = (si, v.path, line, category)
            used.add(key)
            options_s = scanners[category]
            scanner = options_s[int(rand() * len(options_s))]
            head = v.head
            tail = v.tail
            original = (scanner, category, severity, head, line, tail)
            if len(pool) < _DUP_POOL_SIZE:
                pool.append(original)
            else:
                pool[i % _DUP_POOL_SIZE] = original
        chunk.append(f"{prefix}{i:06d},{scanner},{category},{severity},{head},{line},{tail}\n")
        if len(chunk) >= _CHUNK_ROWS:
            out.write("".join(chunk))
            chunk = []
    if chunk:
        out.write("".join(chunk))
    return rows
