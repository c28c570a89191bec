"""What a simulated agent does about each category of finding: the approach it reports (with
the mechanism of the finding's language), the regression test it writes, how many ACUs such a
fix takes, how sure it is, and why a hard one fails. Keyed by FindingCategory value."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CategoryFix:
    weakness: str  # for PR titles: "Fix <weakness> in <service>"
    approach: str  # with {where} (the file) and {how} (the language's mechanism)
    how: dict[str, str]  # code family -> mechanism; "*" for any other
    test_name: str  # snake_case words of the regression test
    payload: str  # the hostile input the test uses
    acus: tuple[float, float]  # ACUs a successful session of this category takes
    confidence: tuple[float, float]  # final confidence of a successful session
    hard_failures: tuple[str, ...] = field(default=())  # why this category's hard findings fail

    def mechanism(self, family: str) -> str:
        return self.how.get(family) or self.how["*"]


_GENERIC_HARD = (
    "The fix changes behaviour the existing integration tests rely on; {n} test(s) fail and the "
    "intended behaviour needs a decision from the service owners.",
)

FIXES: dict[str, CategoryFix] = {
    "sql_injection": CategoryFix(
        "SQL injection",
        "Replace the string-built query in {where} with {how}, so request values reach the database as "
        "bound data, never as SQL; sort columns go through an allow-list.",
        {
            "java": "a PreparedStatement / named parameters bound with setParameter",
            "python": "a parameterized cursor.execute with %s placeholders",
            "js": "a parameterized query with $1 placeholders (pg)",
            "go": "db.QueryContext with $1 placeholders",
            "php": "a PDO prepared statement with bound values",
            "csharp": "SqlCommand parameters",
            "ruby": "ActiveRecord where with bound values",
            "*": "bound query parameters",
        },
        "rejects_injected_sql",
        "' OR '1'='1",
        (2.0, 4.5),
        (0.82, 0.96),
        (
            "The query is built by a shared query builder used by {n} other repositories; changing it "
            "safely needs the platform team's review.",
        ),
    ),
    "xss": CategoryFix(
        "cross-site scripting",
        "Encode the user-controlled value rendered by {where} with {how} and drop the raw HTML output; "
        "a Content-Security-Policy header stays as defense in depth.",
        {
            "template": "the template engine's auto-escaping (escaped output tags instead of raw ones)",
            "java": "the OWASP Java Encoder (Encode.forHtml)",
            "python": "Jinja2 autoescaping and markupsafe.escape",
            "js": "escape-html before the value is written into the response",
            "php": "htmlspecialchars with ENT_QUOTES",
            "go": "html/template instead of text/template",
            "csharp": "HtmlEncoder.Default.Encode",
            "ruby": "ERB::Util.html_escape",
            "*": "context-aware output encoding",
        },
        "escapes_script_tags",
        "<script>alert(1)</script>",
        (2.0, 4.5),
        (0.8, 0.95),
    ),
    "path_traversal": CategoryFix(
        "path traversal",
        "Resolve the requested name in {where} against the base directory with {how} and reject any "
        "path that escapes it.",
        {
            "java": "Path.normalize and startsWith on the real base path",
            "python": "Path.resolve and is_relative_to",
            "js": "path.resolve and a prefix check on base + path.sep",
            "go": "filepath.Clean and a filepath.Rel check",
            "php": "realpath and a prefix check",
            "csharp": "Path.GetFullPath and a StartsWith check",
            "*": "canonical path resolution",
        },
        "rejects_paths_outside_the_base_directory",
        "../../etc/passwd",
        (2.0, 4.0),
        (0.85, 0.96),
    ),
    "hardcoded_secret": CategoryFix(
        "a hard-coded secret",
        "Remove the hard-coded credential from {where}, read it with {how} at startup, and flag the "
        "old value for rotation.",
        {
            "java": "@Value from the secret store (environment variable)",
            "python": "os.environ through the settings module",
            "js": "process.env through the config module",
            "go": "os.Getenv through the config package",
            "config": "a ${ENV} reference resolved from the secret store",
            "dockerfile": "a build secret (--mount=type=secret)",
            "terraform": "a variable marked sensitive, filled from the secret manager",
            "*": "the platform's secret store",
        },
        "fails_fast_without_the_secret_in_the_environment",
        "",
        (1.2, 3.0),
        (0.85, 0.97),
        (
            "The credential is shared with {n} other services; rotating it needs a coordinated change "
            "window with their owners.",
        ),
    ),
    "pii_logging": CategoryFix(
        "PII in logs",
        "Stop {where} from logging personal data: mask the fields with {how} and log only a stable "
        "identifier.",
        {
            "java": "a masking helper in the SLF4J call",
            "python": "a redaction filter on the logger",
            "js": "a winston format that redacts the fields",
            "go": "a slog.LogValuer that redacts the value",
            "*": "a redaction helper",
        },
        "does_not_log_personal_data",
        "jane.doe@example.com",
        (1.5, 3.5),
        (0.85, 0.96),
    ),
    "missing_encryption": CategoryFix(
        "missing encryption",
        "Protect the data handled in {where} with {how}; plaintext transport or storage is no longer "
        "possible on this path.",
        {
            "java": "an https endpoint and AES/GCM/NoPadding for the stored field",
            "python": "TLS (https with certificate verification) and Fernet for the stored column",
            "js": "https with certificate checks and aes-256-gcm via createCipheriv",
            "go": "TLS 1.2+ via tls.Config and AES-GCM for the stored value",
            "terraform": "server-side encryption with the platform KMS key",
            "config": "TLS settings and encryption at rest",
            "*": "TLS in transit and authenticated encryption at rest",
        },
        "refuses_plaintext",
        "http://",
        (2.5, 5.0),
        (0.78, 0.93),
        (
            "Encrypting the existing column needs a data migration of about {n} million rows; it must be "
            "scheduled by the database owners.",
        ),
    ),
    "access_logging": CategoryFix(
        "missing access logging",
        "Add an audit log entry in {where} with {how}, recording who did what, when, and the outcome.",
        {
            "java": "a HandlerInterceptor writing to the audit logger",
            "python": "an audit decorator on the view",
            "js": "an audit middleware on the route",
            "go": "an audit middleware on the handler",
            "terraform": "access logging to the central log bucket",
            "*": "structured audit logging",
        },
        "writes_an_audit_entry",
        "",
        (1.5, 3.5),
        (0.85, 0.96),
    ),
}
