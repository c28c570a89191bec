"""Code-finding templates per category and language, and the fill values they take."""

from __future__ import annotations

from engine.sample.code_templates_app import APP_TEMPLATES
from engine.sample.code_templates_data import DATA_TEMPLATES
from engine.sample.records import Tpl
from engine.sample.services import AUDIT, ENC, OTHER, PATH, PII, SECRET, SQL, XSS

# Code templates: category -> language -> templates. Placeholders: E (PascalCase entity),
# e / es (snake_case, singular / plural), c (camelCase), k (kebab plural), w / ws (words,
# singular / plural), pkg, svc, file (basename of the formatted path) and the category's fills.
TEMPLATES: dict[str, dict[str, tuple[Tpl, ...]]] = {**DATA_TEMPLATES, **APP_TEMPLATES}

# Fill values per category; each template variant takes one or two of them.
FILLS: dict[str, tuple[dict[str, str], ...]] = {
    SQL: tuple({"p": p} for p in ("status", "sortBy", "customerId", "name", "createdAfter", "region")),
    SECRET: (
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
    PII: tuple(
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
    AUDIT: (
        {"m": "delete", "noun": "deletion", "verb": "deletes"},
        {"m": "export", "noun": "bulk export", "verb": "exports"},
        {"m": "transfer", "noun": "ownership transfer", "verb": "reassigns"},
        {"m": "override", "noun": "manual status override", "verb": "force-updates"},
        {"m": "restore", "noun": "restore", "verb": "restores"},
    ),
    XSS: tuple({"fld": f} for f in ("name", "description", "comment", "notes", "title")),
    PATH: tuple({"fp": f} for f in ("filename", "path", "file", "name", "key")),
    OTHER: ({},),
}
FILLS[ENC] = FILLS[PII]
